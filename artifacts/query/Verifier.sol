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

    
    uint256 constant IC0x = 18684451891195399097863029090003701189535605712413901696561136907138594171559;
    uint256 constant IC0y = 20534595056222258103321121088894282950186414890820457581748890237262804513193;
    
    uint256 constant IC1x = 16902204188770536832249000139230882618973164191246357426450237226990556269057;
    uint256 constant IC1y = 4192967408681143780876510272062176477227571115943368041335796828187960962113;
    
    uint256 constant IC2x = 103304651369877038162235052059145220962350953069761563788402710272367863170;
    uint256 constant IC2y = 11170058165800395718328668294633365211035621745928547280792577871311970629178;
    
    uint256 constant IC3x = 15800025353429184650940139324771304107689685768595207919966250039705488132500;
    uint256 constant IC3y = 449157272803832226718790151722456540307862087632194340503551458452640131623;
    
    uint256 constant IC4x = 242407159927912328607035774983201042643624831014975997464278825136721893142;
    uint256 constant IC4y = 10136359304090310319394733594876375349285641149821193963320447191732419643883;
    
    uint256 constant IC5x = 18656204599687471552832680491682815457156608492484482447405397487936821771804;
    uint256 constant IC5y = 17168436815595362430339510995999216643373086994780099295833646151195667336295;
    
    uint256 constant IC6x = 1968198362675691540536727649422573243903936368160367070674745842388335812334;
    uint256 constant IC6y = 3381842756211453897751271539729186046835638741723233505247780723623860833876;
    
    uint256 constant IC7x = 20440746653863601342720439921862773986685576877345491382730779250868637142069;
    uint256 constant IC7y = 7226923618423323080510947051900392994260995845636186640367714049333757632953;
    
    uint256 constant IC8x = 2157750605934895562109714046227612292168529173119365406346410229748835293916;
    uint256 constant IC8y = 17825648627184773583487771066461046153219502518738460128069569452500159897435;
    
    uint256 constant IC9x = 7255114172660595512247299029555267218774002803572351033484567100086579240649;
    uint256 constant IC9y = 11523819388980027881238485938746790712444946309921392916106239819843585857191;
    
    uint256 constant IC10x = 10861387590513859322880816446069299239090413945957762470732450664149908742335;
    uint256 constant IC10y = 21569114267694285895171028869445770142073003913761338517777022031869748938776;
    
    uint256 constant IC11x = 3998698448932395223110663833879469502371079093742395097016979304684923443932;
    uint256 constant IC11y = 13005061270451000878828102028603924949343090642908103547566968451599880865374;
    
    uint256 constant IC12x = 14922697347382411963334909661988966559644338436467989657344070586867228922334;
    uint256 constant IC12y = 8262682740619654621609511199450745106281381205647600416583887512026279781581;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[12] calldata _pubSignals) public view returns (bool) {
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
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
