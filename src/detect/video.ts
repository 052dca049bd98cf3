/**
 * Detection on video through ffmpeg pipes: one ffmpeg decodes to raw RGB frames on its stdout, the frames are
 * detected and annotated in memory, and a second ffmpeg encodes them from its stdin. No frame touches the disk.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { percentileSorted } from '../bench/stats.js';
import type { DecodeOptions } from '../eval/decode.js';
import { detectInImage, type Detector } from '../eval/detector.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { annotationSvg } from './annotate.js';
import { drawOnRaw, toDetectedObjects, type DetectedObject } from './image.js';

export const VIDEO_EXTENSIONS = new Set(['.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v']);

export interface VideoOptions {
  decode: DecodeOptions;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** The ffmpeg executable (ffprobe is looked up beside it). */
  ffmpegPath?: string;
  onFrame?: (done: number, total: number | undefined) => void;
}

export interface VideoFrameResult {
  index: number;
  latencyMs: number;
  detections: DetectedObject[];
}

export interface VideoResult {
  file: string;
  output: string;
  encoder: string;
  width: number;
  height: number;
  sourceFps: number;
  frames: number;
  /** Model latency per frame: preprocess + inference + postprocess. */
  latencyMs: { mean: number; p50: number; p95: number };
  /** Frames per second of the whole pipeline (decode, detect, draw, encode). */
  fps: number;
  perFrame: VideoFrameResult[];
}

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** Video encoder used for the annotated output. */
  encoder: 'libx264' | 'mpeg4';
}

/** Finds ffmpeg/ffprobe and a usable encoder; a missing ffmpeg is a one-line EdgeoptError. */
export function findFfmpeg(ffmpegPath = 'ffmpeg'): FfmpegTools {
  const probe = spawnSync(ffmpegPath, ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new EdgeoptError(`ffmpeg not found (${ffmpegPath}): install it (e.g. apt-get install -y ffmpeg) to process videos`);
  }
  const ffprobe = ffmpegPath.includes('/') ? join(dirname(ffmpegPath), 'ffprobe') : 'ffprobe';
  return { ffmpeg: ffmpegPath, ffprobe, encoder: /\blibx264\b/.test(probe.stdout) ? 'libx264' : 'mpeg4' };
}

interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  frames: number | undefined;
}

function parseRate(rate: string | undefined): number {
  const [num, den] = (rate ?? '').split('/').map(Number);
  const fps = den ? num! / den : Number(num);
  return Number.isFinite(fps) && fps > 0 ? fps : 25;
}

export function probeVideo(tools: FfmpegTools, file: string): VideoInfo {
  const result = spawnSync(
    tools.ffprobe,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  if (result.error) throw new EdgeoptError(`ffprobe not found beside ffmpeg (${tools.ffprobe}): install ffmpeg's full package`);
  const stream = result.status === 0 ? (JSON.parse(result.stdout || '{}').streams?.[0] as Record<string, string> | undefined) : undefined;
  const width = Number(stream?.width);
  const height = Number(stream?.height);
  if (!stream || !(width > 0 && height > 0)) {
    const reason = result.stderr.trim().split('\n').pop() || 'no video stream';
    throw new EdgeoptError(`ffmpeg cannot decode video ${file}: ${reason}`);
  }
  const frames = Number(stream.nb_frames);
  return {
    width,
    height,
    fps: parseRate(stream.avg_frame_rate !== '0/0' ? stream.avg_frame_rate : stream.r_frame_rate),
    frames: Number.isInteger(frames) && frames > 0 ? frames : undefined,
  };
}

/** Yields exact frame-sized buffers from a raw video byte stream. */
async function* rawFrames(stream: Readable, frameBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= frameBytes) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      yield Buffer.from(all.subarray(0, frameBytes));
      const rest = all.subarray(frameBytes);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
}

function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (text.length < 8192) text += d.toString();
  });
  return () => text.trim().split('\n').filter(Boolean).pop() ?? '';
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('close', (code) => resolve(code));
  });
}

async function writeFrame(stdin: Writable, frame: Buffer): Promise<void> {
  if (!stdin.write(frame)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        stdin.off('error', onError);
        resolve();
      };
      const onError = (err: Error): void => {
        stdin.off('drain', onDrain);
        reject(err);
      };
      stdin.once('drain', onDrain);
      stdin.once('error', onError);
    });
  }
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Detects objects in every frame of `inputPath` and writes the annotated video (mp4) to `outputPath`. */
export async function detectVideoFile(detector: Detector, inputPath: string, outputPath: string, options: VideoOptions): Promise<VideoResult> {
  const tools = findFfmpeg(options.ffmpegPath);
  const info = probeVideo(tools, inputPath);
  const { width, height } = info;
  const limit = options.maxFrames !== undefined ? ['-frames:v', String(options.maxFrames)] : [];
  const decoder = spawn(tools.ffmpeg, ['-v', 'error', '-nostdin', '-i', inputPath, '-map', '0:v:0', ...limit, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await mkdir(dirname(outputPath), { recursive: true });
  const tmpOutput = join(dirname(outputPath), `.${basename(outputPath)}.${process.pid}.tmp.mp4`);
  const codec =
    tools.encoder === 'libx264' ? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23'] : ['-c:v', 'mpeg4', '-q:v', '4'];
  const encoder = spawn(
    tools.ffmpeg,
    [
      '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(info.fps), '-i', 'pipe:0',
      // yuv420p (what players accept) needs even sizes.
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', ...codec, '-pix_fmt', 'yuv420p', '-movflags', '+faststart', tmpOutput,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const decoderError = collectStderr(decoder);
  const encoderError = collectStderr(encoder);
  let finishing = false;
  // Fails the run as soon as either ffmpeg cannot start or the encoder quits while frames are still coming,
  // instead of waiting forever for a pipe that nobody reads.
  const spawnFailure = new Promise<never>((_, reject) => {
    decoder.once('error', (err) => reject(new EdgeoptError(`cannot start ffmpeg: ${describeError(err)}`)));
    encoder.once('error', (err) => reject(new EdgeoptError(`cannot start ffmpeg: ${describeError(err)}`)));
    encoder.once('close', (code) => {
      if (!finishing) reject(new EdgeoptError(`ffmpeg could not encode ${outputPath}: ${encoderError() || `exit code ${code}`}`));
    });
  });
  spawnFailure.catch(() => {});
  encoder.stdin.on('error', () => {}); // an encoder that dies is reported through its exit code below
  const total = options.maxFrames !== undefined && info.frames !== undefined ? Math.min(options.maxFrames, info.frames) : (options.maxFrames ?? info.frames);
  const perFrame: VideoFrameResult[] = [];
  const start = performance.now();
  try {
    const work = (async () => {
      for await (const pixels of rawFrames(decoder.stdout, width * height * 3)) {
        const frame = { pixels, width, height };
        const result = await detectInImage(detector, frame, options.decode);
        const latency = result.timings.preprocessMs + result.timings.inferenceMs + result.timings.postprocessMs;
        const fps = ((perFrame.length + 1) * 1000) / (performance.now() - start);
        const caption = [`latency ${latency.toFixed(1)} ms`, `${fps.toFixed(1)} FPS`];
        const svg = annotationSvg(width, height, result.detections, { names: detector.names, caption });
        await writeFrame(encoder.stdin, await drawOnRaw(frame, svg));
        perFrame.push({ index: perFrame.length, latencyMs: round2(latency), detections: toDetectedObjects(result.detections, detector.names) });
        options.onFrame?.(perFrame.length, total);
      }
    })();
    work.catch(() => {}); // if the race is lost to spawnFailure, a later rejection here is expected
    await Promise.race([work, spawnFailure]);
    finishing = true;
    encoder.stdin.end();
    const [decoded, encoded] = await Promise.all([exitOf(decoder), exitOf(encoder)]);
    if (decoded !== 0) throw new EdgeoptError(`ffmpeg cannot decode video ${inputPath}: ${decoderError() || `exit code ${decoded}`}`);
    if (perFrame.length === 0) throw new EdgeoptError(`ffmpeg decoded no frames from ${inputPath}`);
    if (encoded !== 0) throw new EdgeoptError(`ffmpeg could not encode ${outputPath}: ${encoderError() || `exit code ${encoded}`}`);
    await rename(tmpOutput, outputPath);
  } catch (err) {
    decoder.kill();
    encoder.kill();
    await rm(tmpOutput, { force: true });
    throw err;
  }
  const elapsed = performance.now() - start;
  const latencies = perFrame.map((f) => f.latencyMs).sort((a, b) => a - b);
  return {
    file: inputPath,
    output: outputPath,
    encoder: tools.encoder,
    width,
    height,
    sourceFps: round2(info.fps),
    frames: perFrame.length,
    latencyMs: {
      mean: round2(latencies.reduce((a, b) => a + b, 0) / latencies.length),
      p50: round2(percentileSorted(latencies, 0.5)),
      p95: round2(percentileSorted(latencies, 0.95)),
    },
    fps: round2((perFrame.length * 1000) / elapsed),
    perFrame,
  };
}
