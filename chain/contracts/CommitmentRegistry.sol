// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title CommitmentRegistry
/// @notice Anchors the Merkle roots of record commitments for crossproof.
///
/// The owner (the consortium operator, "admin" in crossproof's documents) registers and removes
/// issuers. A registered issuer anchors `(schemaId, root)`: the root of its Poseidon tree of
/// commitments for one schema. Anchoring the next root for the same issuer and schema stamps the
/// previous one with `replacedAt`; an issuer can also revoke one of its roots outright. A verifier
/// accepts a proof only against a root that an issuer it trusts anchored, that is not revoked,
/// and that is current or was replaced less than its policy's grace period ago.
///
/// Roots and schema ids are BN254 scalar field elements (the circuit's public inputs), so values
/// of r or more and zero are refused. Timestamps are `block.timestamp` as the chain reports it:
/// seconds on Ethereum-like chains, milliseconds on FISCO BCOS before 3.12 (the client converts).
///
/// The owner also registers the circuit releases verifiers accept: a release is a circuit name, a
/// version and the sha256 of its verification key (RFC 8785 canonical JSON), of kind development,
/// production or external (another system's circom/snarkjs circuit). A release can be retired
/// with a grace period, during which proofs under it are still accepted: keys rotate without
/// downtime (register the new release, holders move over, retire the old one).
///
/// What this contract does NOT do: it holds no record data and no leaf; it does not check that a
/// root is the root of any particular tree (the issuer is trusted for that, as it is trusted for
/// the records themselves); it holds no verification key, only its hash (verifiers hold the keys).
contract CommitmentRegistry is Ownable2Step {
    /// @dev The BN254 scalar field order r.
    uint256 internal constant FIELD_ORDER =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    struct Issuer {
        string name;
        bool active;
    }

    struct RootRecord {
        address issuer;
        uint64 anchoredAt;
        uint64 replacedAt;
        uint64 revokedAt;
        uint256 schemaId;
    }

    /// @dev Release kinds, as `uint8` in calls and events.
    uint8 internal constant KIND_DEVELOPMENT = 0;
    uint8 internal constant KIND_PRODUCTION = 1;
    uint8 internal constant KIND_EXTERNAL = 2;

    struct Release {
        string name;
        string version;
        uint8 kind;
        uint64 registeredAt;
        uint64 retiredAt;
        uint64 graceSeconds;
    }

    mapping(address issuer => Issuer) private _issuers;
    mapping(uint256 root => RootRecord) private _roots;
    mapping(address issuer => mapping(uint256 schemaId => uint256 root)) private _latest;
    mapping(bytes32 keyHash => Release) private _releases;
    mapping(bytes32 nameVersion => bytes32 keyHash) private _releaseKeys;
    bytes32[] private _releaseList;

    event IssuerRegistered(address indexed issuer, string name);
    event IssuerRemoved(address indexed issuer);
    event RootAnchored(
        address indexed issuer,
        uint256 indexed schemaId,
        uint256 indexed root,
        uint256 previousRoot,
        uint64 anchoredAt
    );
    event RootReplaced(uint256 indexed root, uint256 indexed replacedBy, uint64 replacedAt);
    event RootRevoked(address indexed issuer, uint256 indexed root, uint64 revokedAt);
    event ReleaseRegistered(
        bytes32 indexed keyHash, string name, string version, uint8 kind, uint64 registeredAt
    );
    event ReleaseRetired(
        bytes32 indexed keyHash, string name, string version, uint64 retiredAt, uint64 graceSeconds
    );

    error ZeroAddress();
    error EmptyName();
    error IssuerAlreadyRegistered(address issuer);
    error UnknownIssuer(address issuer);
    error NotIssuer(address account);
    error InvalidFieldElement(uint256 value);
    error RootAlreadyAnchored(uint256 root);
    error UnknownRoot(uint256 root);
    error NotRootIssuer(uint256 root, address account);
    error RootAlreadyRevoked(uint256 root);
    error InvalidRelease();
    error InvalidKind(uint8 kind);
    error ReleaseExists(string name, string version);
    error KeyAlreadyRegistered(bytes32 keyHash);
    error UnknownRelease(string name, string version);
    error ReleaseAlreadyRetired(string name, string version);

    modifier onlyIssuer() {
        if (!_issuers[msg.sender].active) revert NotIssuer(msg.sender);
        _;
    }

    constructor(address admin) Ownable(admin) {}

    // ── Issuers (admin only) ───────────────────────────────────────────────────────────────

    /// @notice Registers `issuer` under a display name. A removed issuer can be registered again;
    /// its earlier roots keep their records.
    function registerIssuer(address issuer, string calldata name) external onlyOwner {
        if (issuer == address(0)) revert ZeroAddress();
        if (bytes(name).length == 0) revert EmptyName();
        if (_issuers[issuer].active) revert IssuerAlreadyRegistered(issuer);
        _issuers[issuer] = Issuer({name: name, active: true});
        emit IssuerRegistered(issuer, name);
    }

    /// @notice Removes `issuer`: it can no longer anchor or revoke, and `rootStatus` reports its
    /// roots with `issuerActive = false` so that verifiers stop accepting them.
    function removeIssuer(address issuer) external onlyOwner {
        if (!_issuers[issuer].active) revert UnknownIssuer(issuer);
        _issuers[issuer].active = false;
        emit IssuerRemoved(issuer);
    }

    // ── Roots (registered issuers only) ────────────────────────────────────────────────────

    /// @notice Anchors `root` as the sender's current root for `schemaId`. The previous current
    /// root for the same schema, if any, is stamped `replacedAt`.
    function anchorRoot(uint256 schemaId, uint256 root) external onlyIssuer {
        if (schemaId == 0 || schemaId >= FIELD_ORDER) revert InvalidFieldElement(schemaId);
        if (root == 0 || root >= FIELD_ORDER) revert InvalidFieldElement(root);
        if (_roots[root].issuer != address(0)) revert RootAlreadyAnchored(root);

        uint64 now_ = uint64(block.timestamp);
        uint256 previous = _latest[msg.sender][schemaId];
        _roots[root] = RootRecord({
            issuer: msg.sender,
            anchoredAt: now_,
            replacedAt: 0,
            revokedAt: 0,
            schemaId: schemaId
        });
        _latest[msg.sender][schemaId] = root;
        emit RootAnchored(msg.sender, schemaId, root, previous, now_);

        if (previous != 0) {
            _roots[previous].replacedAt = now_;
            emit RootReplaced(previous, root, now_);
        }
    }

    /// @notice Revokes one of the sender's roots outright (an emergency: proofs against it must
    /// fail at once, with no grace period). A revoked root stays anchored, so it cannot be
    /// anchored again.
    function revokeRoot(uint256 root) external onlyIssuer {
        RootRecord storage record = _roots[root];
        if (record.issuer == address(0)) revert UnknownRoot(root);
        if (record.issuer != msg.sender) revert NotRootIssuer(root, msg.sender);
        if (record.revokedAt != 0) revert RootAlreadyRevoked(root);
        uint64 now_ = uint64(block.timestamp);
        record.revokedAt = now_;
        emit RootRevoked(msg.sender, root, now_);
    }

    // ── Circuit releases (admin only) ──────────────────────────────────────────────────────

    /// @notice Registers a circuit release. A key and a (name, version) are registered once, ever
    /// (retired ones included), so a version always means one key.
    function registerRelease(
        string calldata name,
        string calldata version,
        bytes32 keyHash,
        uint8 kind
    ) external onlyOwner {
        if (bytes(name).length == 0 || bytes(version).length == 0 || keyHash == bytes32(0)) {
            revert InvalidRelease();
        }
        if (kind > KIND_EXTERNAL) revert InvalidKind(kind);
        bytes32 id = keccak256(abi.encode(name, version));
        if (_releaseKeys[id] != bytes32(0)) revert ReleaseExists(name, version);
        if (_releases[keyHash].registeredAt != 0) revert KeyAlreadyRegistered(keyHash);
        uint64 now_ = uint64(block.timestamp);
        _releases[keyHash] = Release({
            name: name,
            version: version,
            kind: kind,
            registeredAt: now_,
            retiredAt: 0,
            graceSeconds: 0
        });
        _releaseKeys[id] = keyHash;
        _releaseList.push(keyHash);
        emit ReleaseRegistered(keyHash, name, version, kind, now_);
    }

    /// @notice Retires a release: verifiers accept proofs under it for `graceSeconds` more, then
    /// refuse them. Kept in seconds whatever the chain's timestamp unit, so clients add it to
    /// `retiredAt` after converting that.
    function retireRelease(string calldata name, string calldata version, uint64 graceSeconds)
        external
        onlyOwner
    {
        bytes32 keyHash = _releaseKeys[keccak256(abi.encode(name, version))];
        if (keyHash == bytes32(0)) revert UnknownRelease(name, version);
        Release storage release = _releases[keyHash];
        if (release.retiredAt != 0) revert ReleaseAlreadyRetired(name, version);
        uint64 now_ = uint64(block.timestamp);
        release.retiredAt = now_;
        release.graceSeconds = graceSeconds;
        emit ReleaseRetired(keyHash, name, version, now_, graceSeconds);
    }

    // ── Views ──────────────────────────────────────────────────────────────────────────────

    /// @notice Everything a verifier needs about `root`, in one call. `issuer` is zero for a root
    /// that was never anchored. Times are 0 when the event has not happened.
    function rootStatus(uint256 root)
        external
        view
        returns (
            address issuer,
            uint256 schemaId,
            uint64 anchoredAt,
            uint64 replacedAt,
            uint64 revokedAt,
            bool issuerActive
        )
    {
        RootRecord storage record = _roots[root];
        return (
            record.issuer,
            record.schemaId,
            record.anchoredAt,
            record.replacedAt,
            record.revokedAt,
            _issuers[record.issuer].active
        );
    }

    /// @notice The root `issuer` anchored last for `schemaId` (0 if none).
    function latestRoot(address issuer, uint256 schemaId) external view returns (uint256) {
        return _latest[issuer][schemaId];
    }

    /// @notice A release by its verification key's hash; `registeredAt` is 0 if never registered.
    function releaseStatus(bytes32 keyHash)
        external
        view
        returns (
            string memory name,
            string memory version,
            uint8 kind,
            uint64 registeredAt,
            uint64 retiredAt,
            uint64 graceSeconds
        )
    {
        Release storage r = _releases[keyHash];
        return (r.name, r.version, r.kind, r.registeredAt, r.retiredAt, r.graceSeconds);
    }

    /// @notice The key hash registered as `name` `version` (0 if none).
    function releaseKey(string calldata name, string calldata version)
        external
        view
        returns (bytes32)
    {
        return _releaseKeys[keccak256(abi.encode(name, version))];
    }

    /// @notice Every registered key hash, in registration order (for listing).
    function releaseKeys() external view returns (bytes32[] memory) {
        return _releaseList;
    }

    /// @notice Whether `account` is a registered issuer, and its display name.
    function issuerInfo(address account) external view returns (bool active, string memory name) {
        Issuer storage entry = _issuers[account];
        return (entry.active, entry.name);
    }
}
