import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/demo/server.js';
import type { Detection } from '../../src/eval/decode.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { CHROMIUM, CHROMIUM_ARGS, ensureBrowserModulesBuilt, hasChromium, matchDetections, nodeDetections } from './support.js';

const FP32 = asset('models', 'yolov5nu_fp32.onnx');
const BUS = asset('images', 'bus.jpg');

interface PageState {
  ready: boolean;
  webgpu: boolean;
  frames: number;
  lastFrame: { backend: string } | null;
  lastDetections: Detection[];
  errors: string[];
}

/**
 * Headless Chromium's WebGPU is SwiftShader (a CPU implementation of Vulkan): it proves the page's WebGPU
 * path works end to end, but is far too slow to benchmark, so this only runs one image through it.
 */
describe.skipIf(!hasAssets || !hasChromium)('edgeopt demo page on WebGPU (SwiftShader)', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;

  beforeAll(async () => {
    ensureBrowserModulesBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'edgeopt-demo-webgpu-'));
    server = await startDemoServer({ models: [{ name: 'fp32', path: FP32 }], resultsPath: join(tmp, 'results.json'), port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] });
    page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as { edgeoptDemo?: PageState }).edgeoptDemo?.ready === true, null, { timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('detects the bus and the people with the WebGPU backend', async (ctx) => {
    const state0 = await page.evaluate(() => (window as unknown as { edgeoptDemo: PageState }).edgeoptDemo);
    if (!state0.webgpu) {
      process.stderr.write('edgeopt tests: this Chromium offers no WebGPU adapter: WebGPU demo test skipped\n');
      ctx.skip();
    }
    await page.selectOption('[data-testid=backend-select]', 'webgpu');
    await page.setInputFiles('[data-testid=file-input]', BUS);
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { edgeoptDemo: PageState }).edgeoptDemo;
        return s.errors.length > 0 || s.lastFrame?.backend === 'webgpu';
      },
      null,
      { timeout: 90_000 },
    );
    await page.click('[data-testid=pause]');
    const state = await page.evaluate(() => (window as unknown as { edgeoptDemo: PageState }).edgeoptDemo);
    expect(state.errors).toEqual([]);
    const pairs = matchDetections(await nodeDetections(FP32, BUS), state.lastDetections, 0.5);
    expect(pairs).toHaveLength(4);
    for (const { actual, iou, expected } of pairs) {
      expect(actual).toBeDefined();
      expect(iou).toBeGreaterThan(0.9);
      // GPU kernels sum in another order than the CPU ones; the scores still agree closely.
      expect(Math.abs(actual!.score - expected.score)).toBeLessThan(0.05);
    }
  });
});
