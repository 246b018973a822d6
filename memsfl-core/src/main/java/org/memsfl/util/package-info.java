/**
 * Small shared utilities: input errors ({@link org.memsfl.util.BadInputException}, the only exception the CLI treats
 * as the user's; its messages name a {@link org.memsfl.util.Setting}, which the caller shows under its own names, the
 * CLI under its flags), atomic file writes, JSON, manifests, and the one reader of this process's resident memory
 * ({@link org.memsfl.util.ProcessMemory}, Linux {@code /proc/self/status}).
 */
package org.memsfl.util;
