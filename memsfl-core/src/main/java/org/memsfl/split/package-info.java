/**
 * Split learning primitives (Vepakomma et al., "Split learning for health", 2018; Thapa et al., SplitFed, 2022):
 * the device segment (embedding + layers [0, cut)), the server segment (layers [cut, N) + norm + head) over one
 * shared frozen model, and the activation and gradient payloads that cross the cut layer.
 */
package org.memsfl.split;
