/**
 * The planner of DESIGN.md section 5: for each device, the largest cut layer whose memory (with a safety margin)
 * fits the device's budget, with the reason for the choice, and renderings of the plan as JSON-ready maps and a text
 * table.
 */
package org.memsfl.plan;
