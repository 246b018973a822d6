/**
 * The five methods of DESIGN.md section 2 behind one interface, all on the same frozen model, data partition and
 * seeds: memsfl (ours), SplitFed-V1 with per-device server submodels, SplitLoRA, FedAvg of LoRA, and centralized.
 */
package org.memsfl.sim.method;
