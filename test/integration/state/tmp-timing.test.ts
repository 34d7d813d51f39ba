import { it } from 'vitest';
import { openPostgresStore } from '../../../src/state/postgres/postgres-store.js';
import { CLUSTER, created, startPgFixture } from './pg-fixture.js';
import { startTcpProxy } from './tcp-proxy.js';
it('timing', async () => {
  const fx = await startPgFixture();
  const proxy = await startTcpProxy(fx.server.port);
  let t = Date.now();
  const lap = (l: string) => { console.log(l, Date.now() - t); t = Date.now(); };
  const url = await fx.freshDatabase(); lap('db');
  const s = await openPostgresStore({ url: proxy.via(url), workDir: await fx.workDir(), retry: { delaysMs: [50, 150] } }); lap('open');
  const j = await s.create('d-001'); lap('create');
  await j.append(created); lap('append1');
  proxy.dropAfterNextCommit();
  await j.append({ type: 'step.started', cluster: CLUSTER, step: 'create-cluster', attempt: 1 }); lap('append-drop');
  await s.close(); lap('close');
  await proxy.close(); await fx.cleanup(); lap('cleanup');
});
