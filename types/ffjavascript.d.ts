// Declarations for the parts of ffjavascript (snarkjs's curve library) that crossproof uses.
declare module "ffjavascript" {
  /** A point in the curve library's internal (projective, Montgomery) form. */
  export type CurvePoint = Uint8Array;

  /** One of BN254's groups, as ffjavascript exposes it. */
  export interface CurveGroup {
    fromObject(coordinates: unknown[]): CurvePoint;
    isValid(p: CurvePoint): boolean;
    isZero(p: CurvePoint): boolean;
    timesScalar(p: CurvePoint, scalar: bigint): CurvePoint;
  }

  /** A BN254 curve instance; `terminate` stops its worker threads. */
  export interface BnCurve {
    readonly name: string;
    readonly r: bigint;
    readonly G1: CurveGroup;
    readonly G2: CurveGroup;
    terminate(): Promise<void>;
  }
  /** Build BN254; `singleThread` keeps all work on the calling thread. */
  export function buildBn128(singleThread?: boolean): Promise<BnCurve>;
}

declare module "ffjavascript" {
  /** A prime field over bigints. */
  export class F1Field {
    constructor(p: bigint);
  }
}

declare module "r1csfile" {
  /** Read an r1cs file (circom's constraint system). */
  export function readR1cs(path: string, options: Record<string, unknown>): Promise<unknown>;
}
