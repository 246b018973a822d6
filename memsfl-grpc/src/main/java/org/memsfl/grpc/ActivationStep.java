package org.memsfl.grpc;

import java.util.Map;

/**
 * One local step of one device as it arrived over its Train stream: the domain record {@link SplitFederationService}
 * assembles from activation messages, so nothing past the border reads a proto. The numbers are the device's claims,
 * copied as sent (the core round checks them when the step is served).
 *
 * @param deviceId  the authenticated device
 * @param round     the round the step claims (1-based)
 * @param localStep the local step within that round it claims (1-based)
 * @param tensors   "targets", "lengths" and "hidden", whole but not yet checked against the assignment
 *                  ({@link StepWire#payload})
 */
record ActivationStep(String deviceId, int round, int localStep, Map<String, TensorCodec.Decoded> tensors) {
}
