/** Training data: dataset loaders, prompt templates, tokenisation with loss masks, batching and client partitioning. */
package org.memsfl.data;
