package org.memsfl.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Golden check against a file written by Hugging Face (tiny-gpt2-random): names, shapes and values compared with a
 * plain, independent Java parse (regex over the header text, little-endian ByteBuffer floats). Tolerance: exact.
 */
class SafetensorsGoldenTest {

    private static Path model() {
        String env = System.getenv("MEMSFL_ASSETS");
        Path assets = Path.of(env != null && !env.isBlank() ? env : "/work/shared/assets");
        Path p = assets.resolve("models/tiny-gpt2-random/model.safetensors");
        if (env == null || env.isBlank()) {
            assumeTrue(Files.isRegularFile(p), "MEMSFL_ASSETS unset and " + p + " absent");
        }
        assertThat(p).as("MEMSFL_ASSETS=%s must hold the tiny-gpt2-random model", env).isRegularFile();
        return p;
    }

    /** Reads tensor {@code name}'s F32 values without the reader: header length, regex on JSON, LE floats. */
    private static float[] independentF32(byte[] file, String name) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        String header = new String(file, 8, n, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"" + Pattern.quote(name)
                + "\"\\s*:\\s*\\{[^}]*\"data_offsets\"\\s*:\\s*\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\]").matcher(header);
        assertThat(m.find()).as("header mentions %s", name).isTrue();
        int begin = Integer.parseInt(m.group(1));
        int end = Integer.parseInt(m.group(2));
        float[] out = new float[(end - begin) / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat(8 + n + begin + 4 * i);
        }
        return out;
    }

    @Test
    void tinyGpt2MatchesAnIndependentParse() throws IOException {
        Path p = model();
        byte[] bytes = Files.readAllBytes(p);
        try (SafetensorsSource s = SafetensorsSource.open(p.getParent())) {
            assertThat(s.names()).containsExactlyInAnyOrder("h.0.attn.c_attn.bias", "h.0.attn.c_attn.weight",
                    "h.0.attn.c_proj.bias", "h.0.attn.c_proj.weight", "h.0.ln_1.bias", "h.0.ln_1.weight",
                    "h.0.ln_2.bias", "h.0.ln_2.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_fc.weight",
                    "h.0.mlp.c_proj.bias", "h.0.mlp.c_proj.weight", "ln_f.bias", "ln_f.weight", "wpe.weight",
                    "wte.weight");
            assertThat(s.metadata()).containsEntry("format", "pt");
            assertThat(s.info("wte.weight").shape()).containsExactly(21, 2);
            assertThat(s.info("wpe.weight").shape()).containsExactly(1024, 2);
            assertThat(s.info("h.0.attn.c_attn.weight").shape()).containsExactly(2, 6);
            assertThat(s.info("h.0.mlp.c_fc.weight").shape()).containsExactly(2, 8);
            assertThat(s.info("h.0.mlp.c_proj.weight").shape()).containsExactly(8, 2);
            assertThat(s.info("ln_f.weight").shape()).containsExactly(2);
            assertThat(s.info("ln_f.weight").dtype()).isEqualTo(DType.F32);

            float[] lnf = Tensors.toFloats(s.load("ln_f.weight"));
            float[] expected = independentF32(bytes, "ln_f.weight");
            assertThat(expected).hasSize(2);
            assertThat(lnf).containsExactly(expected);
            for (String name : new String[] {"wte.weight", "wpe.weight", "h.0.attn.c_attn.weight"}) {
                assertThat(Tensors.toFloats(s.load(name))).as(name).containsExactly(independentF32(bytes, name));
            }
            System.out.println("tiny-gpt2 ln_f.weight = " + java.util.Arrays.toString(lnf));
        }
    }
}
