import type { Command } from 'commander';
import { DECODER_NAMES } from '../eval/decoders/names.js';
import type { ContractFlags } from '../eval/contract/types.js';

export interface ContractOptionFlags {
  preprocess?: string;
  decoder?: string;
  auxInput?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The model-contract flags of every command that feeds images (eval, detect, quantize --calib, run, demo). */
export function addContractOptions(command: Command): Command {
  return command
    .option(
      '--preprocess <spec>',
      'how images become the input, any subset of size=<n|WxH>,resize=letterbox|letterbox-topleft|stretch,pad=<0-255>,color=rgb|bgr,scale=<1/255|1>,mean=<r:g:b>,std=<r:g:b>,layout=nchw|nhwc (default: the model contract)',
    )
    .option('--decoder <spec>', `output decoder and its parameters: <${DECODER_NAMES.join('|')}>[,key=value…] (default: the model contract; edgeopt inspect --decoders lists the keys)`)
    .option('--aux-input <name=kind>', 'what a non-image input holds: scale-factor|input-size|image-size|image-size-wh|const:<v1>:<v2>… (repeatable)', collect);
}

/** Parses the contract flags (the parser loads the decoders, so only in the action that uses them). */
export async function contractFlagsFrom(flags: ContractOptionFlags, extra: { imgsz?: number; names?: string[] } = {}): Promise<ContractFlags> {
  const { parseContractFlags } = await import('../eval/contract/flags.js');
  return parseContractFlags({ preprocess: flags.preprocess, decoder: flags.decoder, auxInput: flags.auxInput, imgsz: extra.imgsz, names: extra.names });
}
