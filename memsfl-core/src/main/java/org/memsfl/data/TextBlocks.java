package org.memsfl.data;

import java.util.ArrayList;
import java.util.List;

/** Splits text into blocks separated by one or more blank (empty or whitespace-only) lines. */
final class TextBlocks {

    /** A block without its surrounding blank lines, and the 1-based line it starts on. */
    record Block(int line, String text) {
    }

    private TextBlocks() {
    }

    static List<Block> split(String text) {
        List<Block> blocks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int start = 0;
        int lineNo = 0;
        for (String line : text.split("\r?\n", -1)) {
            lineNo++;
            if (line.isBlank()) {
                flush(blocks, current, start);
                continue;
            }
            if (current.length() == 0) {
                start = lineNo;
            } else {
                current.append('\n');
            }
            current.append(line);
        }
        flush(blocks, current, start);
        return blocks;
    }

    private static void flush(List<Block> blocks, StringBuilder current, int start) {
        if (current.length() > 0) {
            blocks.add(new Block(start, current.toString()));
            current.setLength(0);
        }
    }
}
