package org.memsfl.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.memsfl.engine.DType;
import org.memsfl.engine.SafetensorsSource;
import org.memsfl.engine.Tensors;
import org.memsfl.lora.AdapterSet;
import org.memsfl.lora.LoraConfig;
import org.memsfl.lora.LoraGradientTestSupport;
import org.memsfl.lora.LoraModules;
import org.memsfl.lora.PeftExport;
import org.memsfl.train.Loss;

/**
 * LoRA on the new families, under the checkpoint's own module names: a device/server split gives the unsplit loss and
 * gradients, autograd equals finite differences in float64 where the maths is unusual (Gemma-2's soft caps, Phi-3's
 * fused projections), and a PEFT export applied by PEFT's rule ({@code W + alpha/r * B A}) in the float64 oracle
 * reproduces memsfl's adapted loss.
 */
class FamilyLoraTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<FamilyFixture> newFamilies() {
        return Stream.of(FamilyFixture.qwen3Yarn(), FamilyFixture.phi3(), FamilyFixture.gemma2(), FamilyFixture.gemma3());
    }

    static Stream<FamilyFixture> unusual() {
        return Stream.of(FamilyFixture.gemma2(), FamilyFixture.phi3());
    }

    /**
     * Split at cuts 1 and 2 equals unsplit: the same ops on the same tensors, so 1e-6 relative (plus 1e-9 absolute
     * for gradients near zero) only admits float32 reassociation, far below a missing or doubled term.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("newFamilies")
    void splitEqualsUnsplitAtTwoCuts(FamilyFixture f, @TempDir Path dir) throws Exception {
        f.write(dir, false, 17);
        int[] text = f.text(3);
        Tensor[] io = io(text, Math.min(48, text.length - 1));
        ModelConfig c = HfModelLoader.readConfig(dir);
        LoraConfig lora = new LoraConfig(2, 4, 0, LoraModules.of(c));
        AdapterSet base = LoraGradientTestSupport.randomised(AdapterSet.init(c, lora, LayerRange.all(f.layers()), 5), 6);
        double unsplitLoss;
        Map<String, double[]> unsplitGrads;
        try (DecoderModel whole = HfModelLoader.load(dir, LayerRange.all(f.layers()), DType.F32)) {
            AdapterSet a = base.copy();
            Tensor loss = Loss.crossEntropy(whole.forward(io[0], ForwardContext.training(a)), io[1]);
            loss.backward();
            unsplitLoss = loss.item().toDouble();
            unsplitGrads = grads(a);
        }
        for (int cut : new int[] {1, 2}) {
            try (DecoderModel device = HfModelLoader.load(dir, LayerRange.deviceSegment(cut), DType.F32);
                 DecoderModel server = HfModelLoader.load(dir, LayerRange.serverSegment(cut, f.layers()), DType.F32)) {
                AdapterSet a = base.copy();
                ForwardContext ctx = ForwardContext.training(a);
                Tensor h = device.forwardLayers(device.embed(io[0], ctx), 0, cut, ctx);
                Tensor sent = h.detach().clone().set_requires_grad(true);
                Tensor loss = Loss.crossEntropy(server.head(server.forwardLayers(sent, cut, f.layers(), ctx), ctx), io[1]);
                loss.backward();
                h.backward(sent.grad(), new BoolOptional(), false, new TensorArrayRefOptional());
                assertThat(loss.item().toDouble()).as("%s cut %d loss", f.name(), cut)
                        .isCloseTo(unsplitLoss, within(1e-6 * unsplitLoss));
                Map<String, double[]> g = grads(a);
                assertThat(g.keySet()).isEqualTo(unsplitGrads.keySet());
                for (String k : g.keySet()) {
                    double[] e = unsplitGrads.get(k);
                    double[] x = g.get(k);
                    for (int i = 0; i < e.length; i++) {
                        assertThat(x[i]).as("%s cut %d %s[%d]", f.name(), cut, k, i)
                                .isCloseTo(e[i], within(1e-9 + 1e-6 * Math.abs(e[i])));
                    }
                }
            }
        }
    }

    /** Float64, h = 1e-5: truncation ~1e-10, rounding ~1e-11; 1e-6 + 1e-4 relative cannot pass a wrong gradient. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unusual")
    void loraGradientsEqualFiniteDifferencesInFloat64(FamilyFixture f, @TempDir Path dir) throws Exception {
        f.write(dir, false, 17);
        Tensor[] io = io(f.text(3), 16);
        ModelConfig c = HfModelLoader.readConfig(dir);
        try (DecoderModel m = HfModelLoader.load(dir, LayerRange.all(f.layers()), DType.F64)) {
            AdapterSet a = LoraGradientTestSupport.randomised(AdapterSet.init(c,
                    new LoraConfig(2, 4, 0, LoraModules.of(c)), LayerRange.all(f.layers()), 3).to(DType.F64), 11);
            Loss.crossEntropy(m.forward(io[0], ForwardContext.training(a)), io[1]).backward();
            SplittableRandom rng = new SplittableRandom(5);
            int checked = 0;
            for (Tensor p : a.parameters()) {
                double[] grad = Tensors.toDoubles(p.grad());
                for (int probe = 0; probe < 2; probe++) {
                    int idx = rng.nextInt((int) p.numel());
                    double numeric = centralDifference(m, a, p, idx, io);
                    assertThat(grad[idx]).as("%s param %d[%d]", f.name(), checked, idx)
                            .isCloseTo(numeric, within(1e-6 + 1e-4 * Math.abs(numeric)));
                }
                checked++;
            }
            // A and B of every module of every layer
            assertThat(checked).isEqualTo(2 * f.layers() * (f.fused() ? 4 : 7));
        }
    }

    /** target_modules and tensor keys as PEFT names them, and the exported A, B applied by PEFT's rule. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("newFamilies")
    void peftExportReproducesTheAdaptedLossInTheOracle(FamilyFixture f, @TempDir Path dir) throws Exception {
        Map<String, double[]> weights = f.write(dir.resolve("base"), false, 17);
        ModelConfig c = HfModelLoader.readConfig(dir.resolve("base"));
        LoraConfig lora = new LoraConfig(2, 6, 0, LoraModules.of(c));
        AdapterSet a = LoraGradientTestSupport.randomised(AdapterSet.init(c, lora, LayerRange.all(f.layers()), 8), 9);
        int[] text = f.text(4);
        double memsfl;
        try (DecoderModel m = HfModelLoader.load(dir.resolve("base"), LayerRange.all(f.layers()), DType.F32);
             NoGradGuard ng = new NoGradGuard()) {
            Tensor[] io = io(text, text.length - 1);
            memsfl = Loss.crossEntropy(m.forward(io[0], ForwardContext.inference(a)), io[1]).item().toDouble();
        }
        Path out = dir.resolve("peft");
        PeftExport.export(a, c, out, "base");
        JsonNode cfg = JSON.readTree(out.resolve(PeftExport.CONFIG_FILE).toFile());
        List<String> targets = new ArrayList<>();
        cfg.get("target_modules").forEach(n -> targets.add(n.asText()));
        assertThat(targets).containsExactlyInAnyOrderElementsOf(f.fused()
                ? List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj")
                : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));
        double scale = cfg.get("lora_alpha").asDouble() / cfg.get("r").asDouble();
        Map<String, double[]> merged = new HashMap<>(weights);
        TreeSet<String> modules = new TreeSet<>();
        try (SafetensorsSource src = SafetensorsSource.open(out.resolve(PeftExport.TENSORS_FILE))) {
            for (String key : src.names()) {
                assertThat(key).matches("base_model\\.model\\.model\\.layers\\.\\d+\\.(self_attn|mlp)\\.[a-z_]+\\.lora_[AB]\\.weight");
                if (key.endsWith(".lora_A.weight")) {
                    String module = key.substring("base_model.model.".length(), key.length() - ".lora_A.weight".length());
                    modules.add(module);
                    double[] am = Tensors.toDoubles(src.load(key).to(DType.F64.scalarType()));
                    Tensor bt = src.load(module.replace("model.layers", "base_model.model.model.layers") + ".lora_B.weight");
                    double[] bm = Tensors.toDoubles(bt.to(DType.F64.scalarType()));
                    int out0 = (int) bt.size(0);
                    int r = (int) bt.size(1);
                    String wName = module + ".weight";
                    assertThat(merged).as("base weight %s exists", wName).containsKey(wName);
                    double[] w = merged.get(wName).clone();
                    int in = w.length / out0;
                    for (int o = 0; o < out0; o++) {
                        for (int i = 0; i < in; i++) {
                            double s = 0;
                            for (int k = 0; k < r; k++) {
                                s += bm[o * r + k] * am[k * in + i];
                            }
                            w[o * in + i] += scale * s;
                        }
                    }
                    merged.put(wName, w);
                }
            }
        }
        assertThat(modules).hasSize(f.layers() * (f.fused() ? 4 : 7));
        double oracle = new NaiveDecoder(f, merged).loss(text);
        assertThat(memsfl).isCloseTo(oracle, within(1e-5 * oracle));
    }

    private static double centralDifference(DecoderModel m, AdapterSet a, Tensor p, int idx, Tensor[] io) {
        double h = 1e-5;
        try (NoGradGuard ng = new NoGradGuard()) {
            Tensor flat = p.view(-1);
            double orig = flat.get(idx).item().toDouble();
            flat.get(idx).fill_(new Scalar(orig + h));
            double up = Loss.crossEntropy(m.forward(io[0], ForwardContext.inference(a)), io[1]).item().toDouble();
            flat.get(idx).fill_(new Scalar(orig - h));
            double down = Loss.crossEntropy(m.forward(io[0], ForwardContext.inference(a)), io[1]).item().toDouble();
            flat.get(idx).fill_(new Scalar(orig));
            return (up - down) / (2 * h);
        }
    }

    /** {inputs (1, n), targets (1, n)} from the first n + 1 tokens. */
    private static Tensor[] io(int[] text, int n) {
        long[] in = new long[n];
        long[] tg = new long[n];
        for (int i = 0; i < n; i++) {
            in[i] = text[i];
            tg[i] = text[i + 1];
        }
        return new Tensor[] {Tensors.fromLongs(in, 1, n), Tensors.fromLongs(tg, 1, n)};
    }

    private static Map<String, double[]> grads(AdapterSet a) {
        Map<String, double[]> out = new LinkedHashMap<>();
        a.namedParameters().forEach((k, t) -> out.put(k, Tensors.toDoubles(t.grad())));
        return out;
    }
}
