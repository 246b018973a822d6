/**
 * Simulated wall-clock of a round for each method from the delay model (DESIGN.md section 6): the scheduled
 * sequential server of memsfl and SplitLoRA, the processor-shared parallel server of SFL-V1, local training for
 * FedAvg-LoRA and the pooled run of the centralized baseline.
 */
package org.memsfl.sim.timing;
