/** The only code that touches JavaCPP and libtorch directly: tensors, scopes, threads, safetensors. */
package org.memsfl.engine;
