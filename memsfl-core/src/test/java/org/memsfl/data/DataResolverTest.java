package org.memsfl.data;

import org.memsfl.model.Assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memsfl.util.BadInputException;

class DataResolverTest {

    @TempDir
    Path dir;

    private final DataResolver resolver = new DataResolver(List.of(missingRoot(), Assets.root()));

    /** A root without the data comes first, to show that the search goes on to the next root. */
    private static Path missingRoot() {
        return Path.of("no-such-assets-root");
    }

    @Test
    void knownNamesResolveUnderTheAssetRoots() {
        assertThat(resolver.load("gsm8k").train()).hasSize(7_473);
        assertThat(resolver.load("E2E").eval()).hasSize(4_693);
        Dataset shakespeare = resolver.load("shakespeare");
        assertThat(shakespeare.train().size() + shakespeare.eval().size()).isEqualTo(7_222);
        assertThat(shakespeare.eval()).hasSize(361);
        assertThat(resolver.load("dolly").all()).hasSize(15_011);
    }

    @Test
    void standardResolverReadsMemsflAssets() {
        // surefire sets MEMSFL_ASSETS; without it this test would look in ~/.cache/memsfl/assets
        assertThat(System.getenv("MEMSFL_ASSETS")).isNotBlank();
        assertThat(DataResolver.resolve("gsm8k").eval()).hasSize(1_319);
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        assertThatThrownBy(() -> resolver.load("wikitext"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("'wikitext'")
                .hasMessageContaining("dolly").hasMessageContaining("e2e")
                .hasMessageContaining("shakespeare").hasMessageContaining("gsm8k");
    }

    @Test
    void knownNameMissingFromEveryRootSaysWhereItLooked() {
        DataResolver empty = new DataResolver(List.of(dir));
        assertThatThrownBy(() -> empty.load("dolly"))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(dir.resolve(DollyLoader.RELATIVE_DIR).toString())
                .hasMessageContaining("MEMSFL_ASSETS");
    }

    @Test
    void pathsLoadJsonlAndTextFiles() throws IOException {
        Path jsonl = Files.writeString(dir.resolve("mine.jsonl"),
                "{\"q\": \"1+1=\", \"a\": \"2\"}\n{\"q\": \"2+2=\", \"a\": \"4\"}\n");
        Dataset d = resolver.load(jsonl.toString(), new JsonlFields("q", "a", null));
        assertThat(d.all()).containsExactlyInAnyOrder(new Example("1+1=", "2", ""), new Example("2+2=", "4", ""));
        Path txt = Files.writeString(dir.resolve("t.txt"), "a\n\nb\n\nc\n");
        assertThat(resolver.load(txt.toString()).all()).hasSize(3);
    }

    @Test
    void missingOrUnsupportedFilesAreBadInput() throws IOException {
        Path missing = dir.resolve("absent.jsonl");
        assertThatThrownBy(() -> resolver.load(missing.toString()))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist");
        Path csv = Files.writeString(dir.resolve("x.csv"), "a,b\n");
        assertThatThrownBy(() -> resolver.load(csv.toString()))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("neither a .jsonl nor a .txt");
    }
}
