#!/usr/bin/env python3
"""Writes the fuzzing seed corpus in Tests/Fuzz/ (deterministic). Run: python3 Scripts/make_fuzz_seeds.py"""
import json, numpy as np, io, zipfile
base='/work/main/Tests/Fuzz/'
cnn={"version":1,"name":"c","input":{"shape":[1,4,4],"range":[0,1]},"layers":[
 {"type":"conv2d","padding":"same","weights":{"shape":[2,1,2,2],"data":[0.1,0.2,-0.3,0.4,0.5,-0.6,0.7,0.8]}},
 {"type":"batchnorm","gamma":{"shape":[2],"data":[1,1]},"beta":{"shape":[2],"data":[0,0]},"mean":{"shape":[2],"data":[0,0]},"var":{"shape":[2],"data":[1,1]}},
 {"type":"relu"},{"type":"maxpool2d","size":[2,2]},{"type":"avgpool2d","size":[1,1],"stride":[1,1]},
 {"type":"conv2d","stride":[1,1],"padding":[0,1,0,1],"activation":"relu6","weights":{"shape":[1,2,2,2],"data":[1,2,3,4,5,6,7,8]}},
 {"type":"flatten"},{"type":"dense","weights":{"shape":[2,4],"data":[1,2,3,4,5,6,7,8]},"bias":{"shape":[2],"data":[0,1]}},{"type":"relu6"},{"type":"softmax"}],
 "labels":["a","b"],"metadata":{"note":"fuzz seed","nested":[1,{"x":None,"y":True}]}}
open(base+'ModelReader/cnn.json','w').write(json.dumps(cnn, indent=1))
open(base+'ModelReader/escapes.json','w').write('{"version":1,"name":"e\\u0041","input":{"shape":[2]},"layers":[{"type":"dense","name":"\\ud83d\\ude00","weights":{"shape":[1,2],"data":[1e-3,-2.5E+2]}}]}')
def npz(path, arrays, compress):
    buf=io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, **arrays)
    src=zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out=io.BytesIO()
    with zipfile.ZipFile(out,'w',zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            info.date_time=(1980,1,1,0,0,0)
            z.writestr(info, src.read(info.filename))
    open(path,'wb').write(out.getvalue())
rng=np.random.default_rng(1)
npz(base+'DataReader/train.npz', {"x_train":rng.random((3,64),dtype=np.float32),"y_train":np.array([1,2,3]),"x_test":rng.random((2,1,8,8)),"y_test":np.array([0,9])}, False)
npz(base+'DataReader/compressed_u8.npz', {"x_train":(rng.random((2,64))*255).astype(np.uint8),"y_train":np.array([4,5],dtype=np.int32)}, True)
open(base+'DataReader/digits.csv','w').write("3,"+",".join(["0.5"]*64)+"\n7,"+",".join(["1"]*64)+"\n")
