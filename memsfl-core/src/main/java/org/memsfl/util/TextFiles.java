package org.memsfl.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads UTF-8 text files the same way everywhere: a leading byte-order mark (EF BB BF, which Windows editors write) is
 * dropped, and bytes that are not UTF-8 are a one-line error naming the file, the line and the byte offset, instead of
 * the JDK's bare "Input length = 1".
 */
public final class TextFiles {

    private TextFiles() {
    }

    /**
     * The file's text without a BOM.
     *
     * @throws IOException         when the file cannot be read
     * @throws BadInputException   when its bytes are not UTF-8
     */
    public static String readString(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int start = b.length >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF ? 3 : 0;
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, start, b.length - start);
        CharBuffer out = CharBuffer.allocate(b.length);
        CoderResult r = dec.decode(in, out, true);
        if (r.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (b[i] == '\n') {
                    line++;
                }
            }
            throw new BadInputException(file + ": not valid UTF-8 at line " + line + ", byte offset " + offset
                    + String.format(" (byte 0x%02X)", b[offset] & 0xff) + "; expected a UTF-8 text file (convert it,"
                    + " e.g. iconv -f latin1 -t utf-8)");
        }
        dec.flush(out);
        out.flip();
        return out.toString();
    }
}
