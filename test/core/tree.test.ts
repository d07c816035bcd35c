import { describe, expect, it } from "vitest";
import { CrossproofError } from "../../core/errors.js";
import { poseidonPair } from "../../core/poseidon.js";
import { CommitmentTree, rootFromPath } from "../../core/tree.js";

const leaves = (n: number, from = 1) => Array.from({ length: n }, (_, i) => BigInt(from + i));

describe("commitment tree (LeanIMT, Poseidon)", () => {
  it("is empty with root 0, and a single leaf is its own root", () => {
    expect(new CommitmentTree().root).toBe(0n);
    expect(new CommitmentTree([7n]).root).toBe(7n);
  });

  it("hashes pairs with Poseidon and lifts an unpaired node unchanged", () => {
    const t = new CommitmentTree(leaves(3));
    expect(t.root).toBe(poseidonPair(poseidonPair(1n, 2n), 3n));
  });

  it("gives paths that lead to the root for every leaf of odd-sized trees", () => {
    for (const size of [1, 2, 3, 5, 8, 13]) {
      const t = new CommitmentTree(leaves(size));
      for (let i = 0; i < size; i++) {
        const path = t.path(i);
        expect(path.leaf).toBe(BigInt(i + 1));
        expect(path.pathLength).toBe(path.siblings.length);
        expect(rootFromPath(path)).toBe(t.root);
      }
    }
  });

  it("revokes by zeroing a leaf, which changes the root", () => {
    const t = new CommitmentTree(leaves(4));
    const before = t.root;
    const oldPath = t.path(1);
    t.revoke(1);
    expect(t.leaves[1]).toBe(0n);
    expect(t.root).not.toBe(before);
    expect(rootFromPath(oldPath)).not.toBe(t.root);
  });

  it("appends and reports the first new index", () => {
    const t = new CommitmentTree(leaves(3));
    expect(t.append(leaves(2, 10))).toBe(3);
    expect(t.size).toBe(5);
  });

  it("refuses indices outside the tree with TREE_INDEX", () => {
    const t = new CommitmentTree(leaves(2));
    for (const bad of [-1, 2, 0.5]) {
      expect(() => t.path(bad)).toThrowError(expect.objectContaining({ code: "TREE_INDEX" }));
    }
    expect(() => t.revoke(5)).toThrowError(CrossproofError);
  });

  it("refuses to grow past its maximum depth with TREE_FULL", () => {
    const t = new CommitmentTree(leaves(4), 2);
    expect(() => t.append([9n])).toThrowError(expect.objectContaining({ code: "TREE_FULL" }));
    expect(t.size).toBe(4);
    expect(() => new CommitmentTree(leaves(5), 2)).toThrowError(
      expect.objectContaining({ code: "TREE_FULL" }),
    );
  });

  it("round-trips through export and import", () => {
    const t = new CommitmentTree(leaves(6));
    t.revoke(2);
    const back = CommitmentTree.import(t.export());
    expect(back.root).toBe(t.root);
    expect(back.leaves).toEqual(t.leaves);
  });
});
