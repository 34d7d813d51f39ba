/**
 * The public Google Cloud regions, so a typo (`us-west9`, `europe-wets1`) is
 * caught by `validate` as gcloud would catch it, before anything runs.
 *
 * Source: Google Cloud's "Geography and regions" list of regions, written down
 * as of 2025-06 (this build has no network access to fetch it; checked against
 * the region tables of several Google Cloud product location pages). Google
 * adds regions every year: a region newer than this list is accepted when the
 * config names it in `project.extraRegions` (the error message says so), and
 * belongs here in the next release.
 */

/** When {@link GCP_REGIONS} was last checked against Google's list. */
export const GCP_REGIONS_AS_OF = '2025-06';

export const GCP_REGIONS: readonly string[] = [
  'africa-south1',
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-south2',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'australia-southeast2',
  'europe-central2',
  'europe-north1',
  'europe-north2',
  'europe-southwest1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'europe-west10',
  'europe-west12',
  'me-central1',
  'me-central2',
  'me-west1',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'northamerica-south1',
  'southamerica-east1',
  'southamerica-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
];
