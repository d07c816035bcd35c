// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title ReceiptLog
/// @notice Anchors the head of crossproof's receipt log: a verifier's hash chain of receipts.
///
/// Each anchoring account (`msg.sender`: the verifier deployment's anchoring key) writes the
/// log's count and its last entry's hash (`head`). Counts only grow, strictly, per account, so an
/// anchor once written cannot be replaced, and two instances racing to write the same head write
/// it once (the second reverts). An auditor reads the `LogAnchored` events of the account and
/// checks an export of the log against them (`crossproof audit verify`): an entry removed,
/// altered, moved or inserted before an anchored count changes the hash at that count.
///
/// What this contract does NOT do: it holds no receipt (the log holds no personal data either);
/// it does not check that a head is a hash of anything (the anchorer is trusted to write its
/// own log's head; what an auditor gains is that the head cannot be changed afterwards).
contract ReceiptLog {
    struct Head {
        uint64 count;
        uint64 anchoredAt;
        bytes32 head;
    }

    mapping(address => Head) private _latest;

    /// @notice A head anchored by `anchorer`: the log had `count` entries, the last hashing to `head`.
    event LogAnchored(address indexed anchorer, uint64 count, bytes32 head);

    /// @notice `count` is not above the anchorer's last anchored count.
    error CountNotIncreasing(uint64 count, uint64 latest);

    /// @notice Anchors the sender's log head; `count` must exceed its last anchored count.
    function anchor(uint64 count, bytes32 head) external {
        uint64 last = _latest[msg.sender].count;
        if (count <= last) revert CountNotIncreasing(count, last);
        _latest[msg.sender] = Head(count, uint64(block.timestamp), head);
        emit LogAnchored(msg.sender, count, head);
    }

    /// @notice The last head `anchorer` anchored (all zero if none).
    function latest(address anchorer)
        external
        view
        returns (uint64 count, bytes32 head, uint64 anchoredAt)
    {
        Head memory h = _latest[anchorer];
        return (h.count, h.head, h.anchoredAt);
    }
}
