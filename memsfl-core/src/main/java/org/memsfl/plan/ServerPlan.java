package org.memsfl.plan;

import java.util.LinkedHashMap;
import java.util.Map;
import org.memsfl.cost.MemoryBreakdown;

/**
 * What memsfl's edge server holds for a plan (DESIGN.md sections 1 and 5): ONE frozen full model, every planned
 * device's server-side LoRA over [cut_u, N) with gradients and AdamW moments, and the workspace of the one device it
 * serves at a time (the largest), compared with the fleet file's {@code server.memory}.
 *
 * @param memory       the server's peak by category ({@code MethodMemory.memsfl} at the planned cuts)
 * @param budgetBytes  {@code server.memory}
 * @param neededBytes  {@code memory.total() * (1 + margin)}, rounded up
 * @param shares       per planned device, in fleet order, the server bytes that device costs: its server-side LoRA
 *                     state plus its workspace while it is served (only the largest workspace is held at once)
 * @param maxDevices   how many of the planned devices the budget holds at their cuts, taken smallest server share
 *                     first (the most it can hold)
 * @param reason       one line: the need against the budget, by category
 */
public record ServerPlan(MemoryBreakdown memory, long budgetBytes, long neededBytes, Map<String, Long> shares,
                         int maxDevices, String reason) {

    public ServerPlan {
        if (memory == null || shares == null || reason == null) {
            throw new IllegalArgumentException("server plan needs a memory breakdown, shares and a reason");
        }
        shares = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(shares));
    }

    public boolean fits() {
        return neededBytes <= budgetBytes;
    }

    public long headroomBytes() {
        return budgetBytes - neededBytes;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fits", fits());
        m.put("budget_bytes", budgetBytes);
        m.put("needed_bytes", neededBytes);
        m.put("headroom_bytes", headroomBytes());
        m.put("max_devices", maxDevices);
        m.put("memory", memory.toMap());
        m.put("device_share_bytes", shares);
        m.put("reason", reason);
        return m;
    }
}
