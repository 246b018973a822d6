/**
 * The methods of DESIGN.md section 2, one {@link org.memsfl.sim.method.MethodSpec} each, registered once in
 * {@link org.memsfl.sim.method.Methods}: memsfl (ours), SplitFed-V1 with per-device server submodels, SplitLoRA,
 * FedAvg of LoRA, and centralized. A spec carries the method's name, its cost models (memory, round time, dropped
 * devices) and its factory; the {@link org.memsfl.sim.method.FederatedMethod}s it starts drive the core rounds in
 * process, all on the same frozen model, data partition and seeds.
 */
package org.memsfl.sim.method;
