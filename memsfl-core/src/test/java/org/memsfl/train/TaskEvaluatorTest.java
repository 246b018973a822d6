package org.memsfl.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memsfl.data.HeldOutPrompt;
import org.memsfl.engine.DType;
import org.memsfl.metrics.Prediction;
import org.memsfl.model.Assets;
import org.memsfl.model.DecoderModel;
import org.memsfl.model.LayerRange;
import org.memsfl.model.Llama2cLoader;
import org.memsfl.model.LoadedModel;
import org.memsfl.model.ModelResolver;
import org.memsfl.tokenizer.Llama2cTokenizer;

/**
 * Batched generation against its oracle, the one-prompt-at-a-time decoder (which reproduces llama2.c's greedy
 * output, GoldenGreedyTest): left-padded rows must decode the same tokens, exactly, for both families.
 */
class TaskEvaluatorTest {

    static DecoderModel model;
    static Llama2cTokenizer tok;

    @BeforeAll
    static void load() {
        model = Llama2cLoader.load(Assets.stories260K(), LayerRange.all(5), DType.F32);
        tok = Llama2cTokenizer.load(Assets.tok512());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static List<int[]> prompts(String... texts) {
        List<int[]> out = new ArrayList<>();
        for (String t : texts) {
            int[] ids = tok.encode(t);
            int[] in = new int[ids.length + 1];
            in[0] = 1;
            System.arraycopy(ids, 0, in, 1, ids.length);
            out.add(in);
        }
        return out;
    }

    private static void assertBatchedEqualsSingle(DecoderModel m, List<int[]> prompts, int maxTokens, int batch) {
        Generator g = new Generator(m, null);
        Generator.Settings s = Generator.Settings.greedy(maxTokens);
        List<int[]> batched = g.generateBatch(prompts, s, 2, batch);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(batched.get(i)).as("prompt %d", i).containsExactly(g.generate(prompts.get(i), s, 2));
        }
    }

    @Test
    void leftPaddedLlamaBatchDecodesWhatEachPromptDecodesAlone() {
        List<int[]> p = prompts("Once upon a time", "Lily", "The little dog ran to the park and saw a big red ball",
                "Tom and Sam were friends.");
        assertThat(p.stream().mapToInt(a -> a.length).distinct().count()).isGreaterThan(2);
        assertBatchedEqualsSingle(model, p, 24, 3);
        assertBatchedEqualsSingle(model, p, 24, 4);
    }

    @Test
    void gpt2PromptsAreBatchedOnlyWithEqualLengths() {
        try (LoadedModel gpt2 = ModelResolver.resolve("random:tiny-gpt2@3", LayerRange.all(3), DType.F32)) {
            List<int[]> p = List.of(new int[] {1, 5, 9}, new int[] {2, 7}, new int[] {3, 4, 8}, new int[] {6});
            assertBatchedEqualsSingle(gpt2.model(), p, 6, 4);
        }
    }

    @Test
    void evaluatorScoresAllDevicesAndEachDevice() {
        Map<String, List<HeldOutPrompt>> byDevice = new LinkedHashMap<>();
        byDevice.put("phone", List.of(new HeldOutPrompt("Once upon a time", List.of("there was a girl"), "a")));
        byDevice.put("tablet", List.of(new HeldOutPrompt("Lily went", List.of("to the park"), "b"),
                new HeldOutPrompt("Tom saw", List.of("a dog", "a big dog"), "b")));
        TaskEvaluator.Result r = TaskEvaluator.evaluate(model, null, tok, "dolly", byDevice,
                TaskEvaluator.Settings.greedy(16, 2));
        assertThat(r.predictions()).extracting(Prediction::prompt).containsExactly("Once upon a time", "Lily went",
                "Tom saw");
        assertThat(r.predictions()).allSatisfy(p -> assertThat(p.prediction()).isNotBlank());
        assertThat(r.metrics()).containsOnlyKeys("rouge_l");
        assertThat(r.perDevice().perDevice()).containsOnlyKeys("phone", "tablet");
        // greedy: the batched answers are the single-prompt ones
        String alone = tok.decode(new Generator(model, null).generate(prompts("Lily went").get(0),
                Generator.Settings.greedy(16), 2)).strip();
        assertThat(r.predictions().get(1).prediction()).isEqualTo(alone);
    }
}
