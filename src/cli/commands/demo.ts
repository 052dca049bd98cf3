import type { Command } from 'commander';
import { action } from '../action.js';
import { defineCommand } from './table.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';
import { portOption } from '../options.js';
import { addStoreOptions, type StoreFlags } from '../store.js';

interface DemoFlags extends StoreFlags, ContractOptionFlags {
  model?: string[];
  run?: string;
  results?: string;
  port: number;
  host: string;
}

export function registerDemo(program: Command): void {
  const command = defineCommand(program, 'demo')
    .option('--model <onnx...>', 'ONNX models to offer (one or more)')
    .option('--run <dir>', 'an `edgeopt run` output folder: offer its variants and append device results to its results.json')
    .option('--results <file>', 'where device results go with --model (default: demo-results.json beside the first model)')
    .addOption(portOption('port to listen on (0: any free port)', 8080))
    .option('--host <address>', 'address to bind; 0.0.0.0 lets other devices on the network take part', '127.0.0.1');
  addContractOptions(command);
  addStoreOptions(command, "the browsers' reports (they register as devices)")
    .action(
      action(async (flags: DemoFlags) => {
        const { serveDemo } = await import('../../demo/serve.js');
        await serveDemo({ run: flags.run, models: flags.model, resultsPath: flags.results, port: flags.port, host: flags.host, store: flags.store, contract: await contractFlagsFrom(flags) });
      }),
    );
}
