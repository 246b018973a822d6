package org.memsfl.grpc;

import java.util.LinkedHashMap;
import java.util.Map;
import org.memsfl.lora.AdapterIO;
import org.memsfl.util.Json;
import org.memsfl.util.ProcessMemory;

/**
 * A device process's run records under its {@code --out} (nothing when it has none): one {@code metrics.jsonl} line
 * per trained round, and at the end {@code summary.json} (with the segment's bytes by category) and the final
 * device-side adapters in {@code adapter/}.
 */
final class DeviceRecords {

    private final DeviceSettings s;
    private final Map<String, Long> memoryBytes = new LinkedHashMap<>(); // the segment's bytes by category

    DeviceRecords(DeviceSettings s) {
        this.s = s;
    }

    /** The loaded segment's frozen bytes by part (embedding, layers, head, ...). */
    void segmentLoaded(Map<String, Long> bytesByPart) {
        memoryBytes.putAll(bytesByPart);
    }

    /** The device-side adapters' float32 bytes, their gradients' and AdamW's two moments. */
    void adaptersSized(long numParameters) {
        long loraBytes = numParameters * 4;
        memoryBytes.put("lora", loraBytes);
        memoryBytes.put("lora_grads", loraBytes);
        memoryBytes.put("optimizer_state", 2 * loraBytes);
    }

    /** One round trained: its mean loss (NaN: none), wall seconds and bytes each way. */
    void round(int r, double loss, double seconds, long up, long down) {
        if (s.outDir() == null) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", s.deviceId());
        m.put("round", r);
        m.put("train_loss", Double.isNaN(loss) ? null : loss);
        m.put("round_wall_s", seconds);
        m.put("bytes_up", up);
        m.put("bytes_down", down);
        m.put("rss_bytes", ProcessMemory.rssBytes());
        m.put("peak_rss_bytes", ProcessMemory.peakRssBytes());
        Json.appendLine(s.outDir().resolve("metrics.jsonl"), m);
    }

    /** The device's end of training: summary.json, and its final adapters when it has them. */
    void summary(DeviceClient.Report r, String modelId) {
        if (s.outDir() == null) {
            return;
        }
        Map<String, Object> m = r.toMap();
        m.put("model", modelId);
        m.put("data", s.data());
        m.put("partition", s.partitionIndex());
        m.put("memory_bytes_by_category", memoryBytes);
        Json.write(s.outDir().resolve("summary.json"), m);
        if (r.finalAdapters() != null && !r.finalAdapters().isEmpty()) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(AdapterIO.META_MODEL, modelId);
            meta.put("device", r.deviceId());
            meta.put("side", "device layers [0, " + r.cut() + ")");
            AdapterIO.save(r.finalAdapters(), s.outDir().resolve("adapter"), meta);
        }
    }
}
