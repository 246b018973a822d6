/**
 * Deployment over gRPC (DESIGN.md section 7): the edge server ({@link org.memsfl.grpc.EdgeServer}) and the device
 * process ({@link org.memsfl.grpc.DeviceClient}) as a second transport for the split federated logic of
 * {@code org.memsfl.split} and {@code org.memsfl.fed}, which the simulator runs in process. This package owns the
 * protocol ({@code memsfl.proto}), the chunked tensor codec, TLS and per-device tokens; it holds no training math.
 */
package org.memsfl.grpc;
