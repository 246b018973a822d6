/** Small shared utilities: input errors, atomic file writes, JSON, manifests. */
package org.memsfl.util;
