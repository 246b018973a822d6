/**
 * Cost models from shapes (DESIGN.md sections 5 and 6): floating-point operations per segment, memory by category
 * for every device and the server under each method, and the delay of a local step (compute, communication,
 * latency). They live in core, not in the simulator, because the planner and the edge server use them too.
 */
package org.memsfl.cost;
