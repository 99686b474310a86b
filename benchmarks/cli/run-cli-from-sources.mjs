// The `sleeptime` command as it ran before it was bundled: tsx compiles the TypeScript sources as
// they load. Run with `node --conditions=@sleeptime/source` so workspace packages resolve to their
// sources too. Only `npm run bench:cli` uses it, for comparison with the bundled bin.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../../packages/cli/src/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv);
