// SPDX-License-Identifier: GPL-3.0
/*
    Copyright 2021 0KIMS association.

    This file is generated with [snarkJS](https://github.com/iden3/snarkjs).

    snarkJS is a free software: you can redistribute it and/or modify it
    under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    snarkJS is distributed in the hope that it will be useful, but WITHOUT
    ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
    or FITNESS FOR A PARTICULAR PURPOSE. See the GNU General Public
    License for more details.

    You should have received a copy of the GNU General Public License
    along with snarkJS. If not, see <https://www.gnu.org/licenses/>.
*/

pragma solidity >=0.7.0 <0.9.0;

contract Groth16Verifier {
    // Scalar field size
    uint256 constant r    = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // Base field size
    uint256 constant q   = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    // Verification Key data
    uint256 constant alphax  = 15222440800657626514661963308014220911401922577078508939494462120442177141692;
    uint256 constant alphay  = 17983033145583553316136205725870644437116391084731070736860217115737335556584;
    uint256 constant betax1  = 20228387024626041244411600979113458858314373705733625950132020463472845522943;
    uint256 constant betax2  = 16494692930869920715773481452017390929164748161851004789869302939748908738005;
    uint256 constant betay1  = 10618273489880552095794916739795459163919409065330814114357074951627747330071;
    uint256 constant betay2  = 2246581158037845898940142667139623158250564792036414311129922697072069240814;
    uint256 constant gammax1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 constant gammax2 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 constant gammay1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 constant gammay2 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 constant deltax1 = 5150808484467383743468464974829032157070675862586124752175894831237646890819;
    uint256 constant deltax2 = 5981066989112006342025946776712863068151521008099542846917310439039894014002;
    uint256 constant deltay1 = 13630804763209350058382153265010208729177029031303355594005727842852158651886;
    uint256 constant deltay2 = 3505415652916211717514130657843871564561220665907047788507657448046596281490;

    
    uint256 constant IC0x = 10009106137406089281974255787297427214606161359919466818461942562904053676537;
    uint256 constant IC0y = 7132182748951982438856458050468942273888003052419563050952839605805551009330;
    
    uint256 constant IC1x = 15865484214810584788265696536799863397053845121971386439522415436447176781300;
    uint256 constant IC1y = 9166948859203870685193176623928198100180566218352371492528704727185334234323;
    
    uint256 constant IC2x = 8530758589052558851202611229717159843217416547433814886474957627080366377639;
    uint256 constant IC2y = 2636198524458571232407665324863906976531978068382860675733054394895102052535;
    
    uint256 constant IC3x = 2925068640381316537582278561515478159709764445831216087973145969379868334212;
    uint256 constant IC3y = 3921640384188824553790132218661042912874669769004169313337573682814495927851;
    
    uint256 constant IC4x = 3085806526204332897044218836902425716061534300113803472400709042643381223468;
    uint256 constant IC4y = 5650527941450064704054820911214008280580110933875998980612549422813435706486;
    
    uint256 constant IC5x = 21176815686776275998797659703116515802585431110465427996987607564515118886449;
    uint256 constant IC5y = 12040476579809110958378137837849004111926901034566091847424378987013821694464;
    
    uint256 constant IC6x = 6519308530090133528206035093688962189348910834282913602425661534771419644379;
    uint256 constant IC6y = 9433205353415782493307261037058552445771587018064218305645728938359528719870;
    
    uint256 constant IC7x = 7351091409820376316646084609522429189605927851208680248183944392999174591488;
    uint256 constant IC7y = 13129753079370858405914518393627281361869662151823226019932245789457739257434;
    
    uint256 constant IC8x = 21067653493942056386397846017889947877899477282149737023196382052260915859184;
    uint256 constant IC8y = 6775470358000175292855345844868919523979216828656815311289106865685613189570;
    
    uint256 constant IC9x = 3515094919799092550625677357600967855392371689927194854137524450416778439924;
    uint256 constant IC9y = 21045524196138369092342849185994794916284394631808900837159449766633764672739;
    
    uint256 constant IC10x = 4114472315375988698685797576439396576590857969732819759046542220177634572643;
    uint256 constant IC10y = 2434619555783181935719652319434293991832429682938318522451934505177482180137;
    
    uint256 constant IC11x = 7509706309767461788603151056698276075109320864732576885234611417692679637482;
    uint256 constant IC11y = 17955541544096133856940138855381933389269562960203651517677188486152754399859;
    
    uint256 constant IC12x = 21260768081668402594124459159021321744345700494871214676245880002957607390652;
    uint256 constant IC12y = 6107292589450636311345008317021473808559073700355000318619486214879184259157;
    
    uint256 constant IC13x = 5742277383310135906688468564614572979691270286954746067326506677613989806059;
    uint256 constant IC13y = 5568540037121647347953302694812014271624788598707180383748803911183928754693;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[13] calldata _pubSignals) public view returns (bool) {
        assembly {
            function checkField(v) {
                if iszero(lt(v, r)) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }
            
            // G1 function to multiply a G1 value(x,y) to value in an address
            function g1_mulAccC(pR, x, y, s) {
                let success
                let mIn := mload(0x40)
                mstore(mIn, x)
                mstore(add(mIn, 32), y)
                mstore(add(mIn, 64), s)

                success := staticcall(sub(gas(), 2000), 7, mIn, 96, mIn, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }

                mstore(add(mIn, 64), mload(pR))
                mstore(add(mIn, 96), mload(add(pR, 32)))

                success := staticcall(sub(gas(), 2000), 6, mIn, 128, pR, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }

            function checkPairing(pA, pB, pC, pubSignals, pMem) -> isOk {
                let _pPairing := add(pMem, pPairing)
                let _pVk := add(pMem, pVk)

                mstore(_pVk, IC0x)
                mstore(add(_pVk, 32), IC0y)

                // Compute the linear combination vk_x
                
                g1_mulAccC(_pVk, IC1x, IC1y, calldataload(add(pubSignals, 0)))
                
                g1_mulAccC(_pVk, IC2x, IC2y, calldataload(add(pubSignals, 32)))
                
                g1_mulAccC(_pVk, IC3x, IC3y, calldataload(add(pubSignals, 64)))
                
                g1_mulAccC(_pVk, IC4x, IC4y, calldataload(add(pubSignals, 96)))
                
                g1_mulAccC(_pVk, IC5x, IC5y, calldataload(add(pubSignals, 128)))
                
                g1_mulAccC(_pVk, IC6x, IC6y, calldataload(add(pubSignals, 160)))
                
                g1_mulAccC(_pVk, IC7x, IC7y, calldataload(add(pubSignals, 192)))
                
                g1_mulAccC(_pVk, IC8x, IC8y, calldataload(add(pubSignals, 224)))
                
                g1_mulAccC(_pVk, IC9x, IC9y, calldataload(add(pubSignals, 256)))
                
                g1_mulAccC(_pVk, IC10x, IC10y, calldataload(add(pubSignals, 288)))
                
                g1_mulAccC(_pVk, IC11x, IC11y, calldataload(add(pubSignals, 320)))
                
                g1_mulAccC(_pVk, IC12x, IC12y, calldataload(add(pubSignals, 352)))
                
                g1_mulAccC(_pVk, IC13x, IC13y, calldataload(add(pubSignals, 384)))
                

                // -A
                mstore(_pPairing, calldataload(pA))
                mstore(add(_pPairing, 32), mod(sub(q, calldataload(add(pA, 32))), q))

                // B
                mstore(add(_pPairing, 64), calldataload(pB))
                mstore(add(_pPairing, 96), calldataload(add(pB, 32)))
                mstore(add(_pPairing, 128), calldataload(add(pB, 64)))
                mstore(add(_pPairing, 160), calldataload(add(pB, 96)))

                // alpha1
                mstore(add(_pPairing, 192), alphax)
                mstore(add(_pPairing, 224), alphay)

                // beta2
                mstore(add(_pPairing, 256), betax1)
                mstore(add(_pPairing, 288), betax2)
                mstore(add(_pPairing, 320), betay1)
                mstore(add(_pPairing, 352), betay2)

                // vk_x
                mstore(add(_pPairing, 384), mload(add(pMem, pVk)))
                mstore(add(_pPairing, 416), mload(add(pMem, add(pVk, 32))))


                // gamma2
                mstore(add(_pPairing, 448), gammax1)
                mstore(add(_pPairing, 480), gammax2)
                mstore(add(_pPairing, 512), gammay1)
                mstore(add(_pPairing, 544), gammay2)

                // C
                mstore(add(_pPairing, 576), calldataload(pC))
                mstore(add(_pPairing, 608), calldataload(add(pC, 32)))

                // delta2
                mstore(add(_pPairing, 640), deltax1)
                mstore(add(_pPairing, 672), deltax2)
                mstore(add(_pPairing, 704), deltay1)
                mstore(add(_pPairing, 736), deltay2)


                let success := staticcall(sub(gas(), 2000), 8, _pPairing, 768, _pPairing, 0x20)

                isOk := and(success, mload(_pPairing))
            }

            let pMem := mload(0x40)
            mstore(0x40, add(pMem, pLastMem))

            // Validate that all evaluations ∈ F
            
            checkField(calldataload(add(_pubSignals, 0)))
            
            checkField(calldataload(add(_pubSignals, 32)))
            
            checkField(calldataload(add(_pubSignals, 64)))
            
            checkField(calldataload(add(_pubSignals, 96)))
            
            checkField(calldataload(add(_pubSignals, 128)))
            
            checkField(calldataload(add(_pubSignals, 160)))
            
            checkField(calldataload(add(_pubSignals, 192)))
            
            checkField(calldataload(add(_pubSignals, 224)))
            
            checkField(calldataload(add(_pubSignals, 256)))
            
            checkField(calldataload(add(_pubSignals, 288)))
            
            checkField(calldataload(add(_pubSignals, 320)))
            
            checkField(calldataload(add(_pubSignals, 352)))
            
            checkField(calldataload(add(_pubSignals, 384)))
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
