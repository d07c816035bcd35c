/**
 * The issuer's append-only commitment tree: a LeanIMT (zk-kit) with Poseidon(2) nodes, the
 * structure the `query` circuit's `BinaryMerkleRoot` verifies. Revoking a record sets its leaf
 * to 0; a zero leaf can never be proven, since no record commits to 0.
 */
import { LeanIMT } from "@zk-kit/lean-imt";
import { CrossproofError, ErrorCode } from "./errors.js";
import { isFieldElement } from "./field.js";
import { poseidonPair } from "./poseidon.js";

/** Deepest tree the default circuit proves membership in: 2^20 leaves. */
export const MAX_TREE_DEPTH = 20;

/** A membership path in the form the circuit takes. */
export interface MerklePath {
  readonly root: bigint;
  readonly leaf: bigint;
  readonly leafIndex: number;
  /** Number of real siblings (LeanIMT skips levels where a node has no sibling). */
  readonly pathLength: number;
  /** Direction bits of the real siblings, least significant first (LeanIMT proof index). */
  readonly pathIndex: number;
  /** The real siblings, bottom up. */
  readonly siblings: readonly bigint[];
}

/** A Poseidon LeanIMT of record commitments, bounded to {@link MAX_TREE_DEPTH}. */
export class CommitmentTree {
  #tree: LeanIMT<bigint>;
  readonly maxDepth: number;

  /**
   * A tree of `leaves`. `hash` is the node hash, Poseidon(2) by default; a caller building large
   * trees may pass the same function computed faster (`loadFastPoseidon`).
   */
  constructor(
    leaves: readonly bigint[] = [],
    maxDepth = MAX_TREE_DEPTH,
    hash: (left: bigint, right: bigint) => bigint = poseidonPair,
  ) {
    this.maxDepth = maxDepth;
    CommitmentTree.#checkCapacity(leaves.length, maxDepth);
    for (const leaf of leaves) CommitmentTree.#checkLeaf(leaf);
    this.#tree = new LeanIMT<bigint>(hash, [...leaves]);
  }

  static #checkCapacity(size: number, maxDepth: number): void {
    if (size > 2 ** maxDepth) {
      throw new CrossproofError(
        ErrorCode.TREE_FULL,
        `a tree of depth ${maxDepth} holds at most ${2 ** maxDepth} leaves`,
        { details: { size, maxDepth } },
      );
    }
  }

  static #checkLeaf(leaf: bigint): void {
    if (!isFieldElement(leaf)) throw new RangeError("a leaf must be a field element");
  }

  /** The current root (0 for an empty tree). */
  get root(): bigint {
    return this.#tree.size === 0 ? 0n : this.#tree.root;
  }

  /** Number of leaves, revoked ones included. */
  get size(): number {
    return this.#tree.size;
  }

  /** Current depth (grows with the number of leaves). */
  get depth(): number {
    return this.#tree.depth;
  }

  /** A copy of the leaves, in insertion order. */
  get leaves(): bigint[] {
    return [...this.#tree.leaves];
  }

  /** Append leaves; returns the index of the first one. */
  append(leaves: readonly bigint[]): number {
    CommitmentTree.#checkCapacity(this.#tree.size + leaves.length, this.maxDepth);
    for (const leaf of leaves) CommitmentTree.#checkLeaf(leaf);
    const first = this.#tree.size;
    if (leaves.length > 0) this.#tree.insertMany([...leaves]);
    return first;
  }

  /** Revoke the leaf at `index` (set it to 0). */
  revoke(index: number): void {
    this.#checkIndex(index);
    this.#tree.update(index, 0n);
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#tree.size) {
      throw new CrossproofError(ErrorCode.TREE_INDEX, `no leaf at index ${index}`, {
        details: { index, size: this.#tree.size },
      });
    }
  }

  /** The membership path of the leaf at `index`. */
  path(index: number): MerklePath {
    this.#checkIndex(index);
    const proof = this.#tree.generateProof(index);
    return {
      root: proof.root,
      leaf: proof.leaf,
      leafIndex: index,
      pathLength: proof.siblings.length,
      pathIndex: proof.index,
      siblings: proof.siblings,
    };
  }

  /** The tree's nodes as a string, for storage ({@link CommitmentTree.import} reads it). */
  export(): string {
    return this.#tree.export();
  }

  /** Rebuild a tree from {@link CommitmentTree.export}'s output. */
  static import(nodes: string, maxDepth = MAX_TREE_DEPTH): CommitmentTree {
    // Adopt the imported nodes as they are: rebuilding from the leaves would rehash them all.
    const imported = LeanIMT.import<bigint>(poseidonPair, nodes, (v) => BigInt(v));
    CommitmentTree.#checkCapacity(imported.size, maxDepth);
    const tree = new CommitmentTree([], maxDepth);
    tree.#tree = imported;
    return tree;
  }
}

/** Recompute a root from a path, as the circuit does (for checks outside it). */
export function rootFromPath(path: Pick<MerklePath, "leaf" | "pathIndex" | "siblings">): bigint {
  let node = path.leaf;
  path.siblings.forEach((sibling, level) => {
    node =
      (path.pathIndex >> level) & 1 ? poseidonPair(sibling, node) : poseidonPair(node, sibling);
  });
  return node;
}
