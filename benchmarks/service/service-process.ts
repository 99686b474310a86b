/** Child process of the service benchmark: the service, wired as `sleeptime serve` wires it. */
import { answerParent, childConfig, cpuMilliseconds } from './bench-child-process.js';
import { startBenchService, type BenchService, type BenchServiceOptions } from './bench-service.js';

export interface ServiceReady {
  url: string;
  apiKey: string;
}

let service: BenchService | undefined;

await answerParent<ServiceReady>({
  async start() {
    service = await startBenchService(childConfig<BenchServiceOptions>());
    return { url: service.url, apiKey: service.apiKey };
  },
  handlers: { 'cpu-ms': cpuMilliseconds },
  stop: async () => {
    await service?.close();
  },
});
