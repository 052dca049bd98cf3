import { mkdtempSync, rmSync, symlinkSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel, loadModel } from '../../../src/onnx/model-io.js';
import type { LoadedModel } from '../../../src/onnx/types.js';
import { parseRecipe, quantizeWithRecipe, recipeFromResult, staticOptionsFor, type RecipeChoice } from '../../../src/quantize/recipe.js';
import { buildUnits, floatNodesOf } from '../../../src/quantize/search/units.js';
import { quantizeStatic } from '../../../src/quantize/static/index.js';
import { convBiasShift } from '../../../src/quantize/static/bias-correction.js';
import { DataType } from '../../../src/onnx/types.js';
import { asset, hasAssets } from '../../helpers/assets.js';

describe('bias correction shift', () => {
  it('is zero when int8 represents the weights exactly and nothing is clipped, and follows the clipped mean otherwise', () => {
    // 2 output channels, 1 input channel, 1x1: weights on the int8 grid of their own per-channel scale.
    const weight = { name: 'w', dims: [2, 1, 1, 1], dataType: DataType.FLOAT, floatData: [1.27, -0.5] } as never;
    for (const v of convBiasShift(weight, true, [3], [3])) expect(Math.abs(v)).toBeLessThan(1e-6);
    // Clipping lowers the input mean from 3 to 2: each channel's output mean moves by w · (2 − 3).
    const shift = convBiasShift(weight, true, [3], [2]);
    expect(shift[0]).toBeCloseTo(-1.27, 5);
    expect(shift[1]).toBeCloseTo(0.5, 5);
  });
});

describe.skipIf(!hasAssets)('recipes: a search configuration as JSON that reproduces its model', () => {
  let dir: string;
  let model: LoadedModel;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgeopt-recipe-'));
    mkdirSync(join(dir, 'calib'));
    for (const f of readdirSync(asset('coco128', 'images')).sort().slice(0, 4)) symlinkSync(asset('coco128', 'images', f), join(dir, 'calib', f));
    model = await loadModel(asset('zoo', 'yolofastestv2_352.onnx'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilds the same model byte for byte from the recipe alone (float units, bias shifts, shared-scale Concats)', async () => {
    const units = buildUnits(model);
    expect(units.units.length).toBeGreaterThan(50);
    const int8 = new Set(units.units.filter((u) => u.id % 3 !== 0).map((u) => u.id));
    const choice: RecipeChoice = {
      rewrites: [],
      activationType: 'uint8',
      perChannel: true,
      method: 'percentile',
      percentile: 99.99,
      overrides: {},
      siluAwareRanges: true,
      sharedScaleConcats: true,
      float: [...units.fixedFloat.map((f) => ({ node: f.node, reason: f.reason })), ...floatNodesOf(units, int8).map((node) => ({ node, reason: 'test' }))],
      biasCorrection: true,
    };
    const first = await quantizeStatic(model, { ...staticOptionsFor(choice), calibration: { imageDir: join(dir, 'calib') } });
    expect(Object.keys(first.report.static.biasCorrections ?? {}).length).toBeGreaterThan(10);
    const recipe = parseRecipe(JSON.parse(JSON.stringify(recipeFromResult('yolofastestv2', choice, first, model.graph.node.length))));
    expect(recipe.float.some((f) => f.reason === 'test')).toBe(true);
    const again = await quantizeWithRecipe(model, recipe);
    expect(Buffer.from(encodeModel(again.model)).equals(Buffer.from(encodeModel(first.model)))).toBe(true);
    expect(again.report.static.calibration.samples).toBe(0);
  }, 180_000);

  it('refuses a recipe for another model and a malformed one, in one sentence', async () => {
    const bad = { kind: 'edgeopt-int8-recipe', schemaVersion: 1, model: { name: 'x', nodes: 3 } };
    expect(() => parseRecipe(bad)).toThrow(/not a valid edgeopt recipe: rewrites/);
    expect(() => parseRecipe([])).toThrow(/not a JSON object/);
    expect(() => parseRecipe({ ...bad, schemaVersion: 9 })).toThrow(/schemaVersion 9/);
    const ok = {
      ...bad, rewrites: [], activationType: 'uint8', perChannel: true, calibration: { method: 'minmax', overrides: {} },
      siluAwareRanges: false, sharedScaleConcats: [], float: [], tensors: { t: { method: 'minmax', min: -1, max: 1 } },
    };
    const recipe = parseRecipe(ok);
    await expect(quantizeWithRecipe(model, recipe)).rejects.toThrow(/found for 'x' \(3 nodes\)/);
    expect(() => parseRecipe({ ...ok, tensors: { t: { min: 2, max: 1 } } })).toThrow(/tensor 't' needs finite min/);
  });
});
