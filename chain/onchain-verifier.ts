/**
 * Checking a `query` proof on chain, through the Groth16 verifier contract that snarkjs exported
 * for the committed release and that is deployed beside the registry.
 */
import type { Address, Chain, PublicClient, Transport } from "viem";
import type { Groth16Proof } from "../core/proof.js";
import { queryVerifierAbi } from "./abi.js";
import { toChainError } from "./registry.js";

/** Number of public signals the deployed verifier takes (the `query` release's nPublic). */
export const QUERY_VERIFIER_PUBLIC_SIGNALS = 12;

type Pair = readonly [bigint, bigint];
type Quad = readonly [bigint, bigint, bigint, bigint];
/** The verifier's `uint[12] _pubSignals`, as viem types it. */
type QuerySignals = readonly [...Quad, ...Quad, ...Quad];

/**
 * The proof as the Solidity verifier takes it: affine A and C, and B with each Fq2 coordinate
 * in (imaginary, real) order, as the EVM's pairing precompile expects.
 */
export function solidityProof(proof: Groth16Proof): {
  a: Pair;
  b: readonly [Pair, Pair];
  c: Pair;
} {
  const n = (s: string): bigint => BigInt(s);
  const [bx, by] = [proof.pi_b[0], proof.pi_b[1]];
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    b: [
      [n(bx[1]), n(bx[0])],
      [n(by[1]), n(by[0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
  };
}

/**
 * Calls the deployed verifier's `verifyProof` (a view: no transaction, no gas paid). Returns its
 * verdict; `REGISTRY_UNAVAILABLE` if the node cannot answer. The caller checks the shape first
 * (`parseProofBundle`): the contract takes exactly 12 signals.
 */
export async function verifyOnChain(
  client: PublicClient<Transport, Chain>,
  verifier: Address,
  proof: Groth16Proof,
  publicSignals: readonly string[],
  rpcUrl: string,
): Promise<boolean> {
  if (publicSignals.length !== QUERY_VERIFIER_PUBLIC_SIGNALS) return false;
  const { a, b, c } = solidityProof(proof);
  const signals = publicSignals.map((s) => BigInt(s));
  try {
    return await client.readContract({
      address: verifier,
      abi: queryVerifierAbi,
      functionName: "verifyProof",
      args: [a, b, c, signals as unknown as QuerySignals],
    });
  } catch (err) {
    throw toChainError(err, "verifyProof", rpcUrl);
  }
}
