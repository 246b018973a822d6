package org.memsfl.grpc;

import java.util.Map;

/**
 * A device's upload after its local steps, as it arrived: the domain record {@link SplitFederationService} makes of a
 * PutAdapters header and its chunks, so nothing past the border reads a proto. Every number is the device's claim,
 * copied as sent (uint64 fields as their two's-complement long): the core round, not the border, refuses a round it
 * is not in and leaves out a device whose {@code numExamples} it cannot weigh.
 *
 * @param deviceId            the authenticated device
 * @param round               the round it says it trained
 * @param numExamples         its FedAvg weight: training examples in its partition
 * @param peakRssBytes        its process's peak resident memory so far (0 when unknown)
 * @param rssBeforeModelBytes its resident memory before the model segment was loaded (0 when unknown)
 * @param tensors             every device-side adapter tensor, whole (names checked, values not yet:
 *                            {@link AdapterWire#decode})
 */
record AdapterUpload(String deviceId, int round, long numExamples, long peakRssBytes, long rssBeforeModelBytes,
                     Map<String, TensorCodec.Decoded> tensors) {
}
