/** The experiment report: charts (XChart PNG) embedded in one self-contained report.html, and a plain-text table. */
package org.memsfl.sim.report;
