/** Cost models from shapes: floating-point operations per segment (and, later, bytes and seconds by category). */
package org.memsfl.cost;
