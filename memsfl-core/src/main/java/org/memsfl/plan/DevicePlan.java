package org.memsfl.plan;

import java.util.LinkedHashMap;
import java.util.Map;
import org.memsfl.cost.MemoryBreakdown;

/**
 * The planner's choice for one device.
 *
 * @param deviceId     the device
 * @param fits         whether some cut in [1, N-1] fits the budget; a device that does not is reported, not dropped
 * @param cut          the chosen cut, or 0 when it does not fit
 * @param nLayers      N, the model's layer count
 * @param memory       the device's peak at the chosen cut (at cut 1 when it does not fit)
 * @param budgetBytes  the device's memory budget
 * @param neededBytes  {@code memory.total() * (1 + margin)}, rounded up
 * @param reason       one line explaining the choice
 */
public record DevicePlan(String deviceId, boolean fits, int cut, int nLayers, MemoryBreakdown memory, long budgetBytes,
                         long neededBytes, String reason) {

    public DevicePlan {
        if (deviceId == null || memory == null || reason == null) {
            throw new IllegalArgumentException("device plan needs a device id, a memory breakdown and a reason");
        }
        if (fits ? cut < 1 || cut >= nLayers : cut != 0) {
            throw new IllegalArgumentException("cut must be in [1, " + (nLayers - 1) + "] when the device fits and 0 "
                    + "when it does not, got " + cut + " (fits=" + fits + ")");
        }
    }

    /** Budget left after the margin-inflated need; negative when the device does not fit. */
    public long headroomBytes() {
        return budgetBytes - neededBytes;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", deviceId);
        m.put("fits", fits);
        m.put("cut", cut);
        m.put("budget_bytes", budgetBytes);
        m.put("needed_bytes", neededBytes);
        m.put("headroom_bytes", headroomBytes());
        m.put("memory", memory.toMap());
        m.put("reason", reason);
        return m;
    }
}
