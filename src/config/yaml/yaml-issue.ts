/** A problem found while reading YAML, at a source offset (turned into line/column later). */
export interface YamlIssue {
  offset: number;
  message: string;
}
