/**
 * Deployment over gRPC (DESIGN.md section 7): the edge server ({@link org.memsfl.grpc.EdgeServer}) and the device
 * process ({@link org.memsfl.grpc.DeviceClient}) as a second transport for the split federated logic of
 * {@code org.memsfl.split} and {@code org.memsfl.fed}, which the simulator runs in process. This package owns the
 * protocol ({@code memsfl.proto}), the chunked tensor codec, TLS and per-device tokens; it holds no training math.
 * The edge server trains with the simulator's own settings record ({@code org.memsfl.settings.RunSettings}), which
 * {@link org.memsfl.grpc.ServerDeployment} wraps with the process's own concerns (fleet size, wire limits, timeouts,
 * guards, output directory).
 */
package org.memsfl.grpc;
