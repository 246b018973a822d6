package org.memsfl.grpc;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.memsfl.engine.NativeScope;
import org.memsfl.model.DecoderModel;

/**
 * sha256 of every frozen weight's float32 bytes, by tensor name. The server sends the hashes of its full model in
 * the assignment; a device checks the part it loaded against them, so a device that resolved the spec to other
 * weights (another file, another random seed) is refused before it trains anything.
 */
final class ModelFingerprint {

    private ModelFingerprint() {
    }

    static Map<String, String> of(DecoderModel model) {
        Map<String, String> out = new TreeMap<>();
        try (NoGradGuard ng = new NoGradGuard()) {
            model.weights().forEach((name, t) -> out.put(name, sha256(t)));
        }
        return out;
    }

    /** Names whose hash differs or is absent from {@code expected}, with a reason; empty when all agree. */
    static Map<String, String> mismatches(DecoderModel model, Map<String, String> expected) {
        Map<String, String> bad = new TreeMap<>();
        of(model).forEach((name, hash) -> {
            String want = expected.get(name);
            if (want == null) {
                bad.put(name, "not in the server's model");
            } else if (!want.equals(hash)) {
                bad.put(name, "sha256 " + hash.substring(0, 12) + "... but the server's is " + want.substring(0, 12) + "...");
            }
        });
        return bad;
    }

    private static String sha256(Tensor t) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (NativeScope scope = new NativeScope()) {
            Tensor c = t.to(torch.ScalarType.Float).contiguous();
            long n = c.numel() * 4;
            try (BytePointer p = new BytePointer(c.data_ptr())) {
                p.capacity(n);
                int step = 1 << 24;
                for (long off = 0; off < n; off += step) {
                    int len = (int) Math.min(step, n - off);
                    try (BytePointer chunk = p.getPointer(off)) {
                        md.update(chunk.position(0).limit(len).capacity(len).asByteBuffer());
                    }
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
