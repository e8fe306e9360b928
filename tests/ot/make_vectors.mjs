// Differential test vectors for the C++ change_set (server/domain/change_set.cpp): random
// documents and change sets, with what @codemirror/state itself makes of them.
//
//   node tests/ot/make_vectors.mjs --seed 20261123 --count 100000 --out vectors.jsonl
//
// The output is JSON Lines. The first line describes the run:
//   {"meta":{"seed":..,"count":..,"codemirror_state":"6.7.6"}}
// then one line per case:
//   doc               the document
//   a, b              two change sets on doc
//   c                 a change set on a.apply(doc) (composes with a in every way, not just as
//                     a mapped partner)
//   a_doc, b_doc      a.apply(doc), b.apply(doc)
//   a_map_b           a.map(b)           a_map_b_before   a.map(b, true)
//   b_map_a           b.map(a)
//   a_b               a.compose(b.map(a))               a_b_doc  its result on doc
//   b_a               b.compose(a.map(b, true))          (same document as a_b)
//   a_c               a.compose(c)                      a_c_doc  its result on doc
//   map_pos           [[pos, assoc, a.mapPos(pos, assoc)], ...]
//
// Representation: every text and every change set is the exact output of JSON.stringify (the
// document as a JSON string literal, the set as JSON.stringify(set.toJSON())), stored as a
// string. The C++ side compares its own output with these bytes. Strings rather than nested
// JSON because a change may split a surrogate pair (CodeMirror allows it): JSON.stringify
// writes the lone surrogate as a \udxxx escape, which nlohmann::json refuses to parse into a
// string, so the C++ test decodes the one text it needs as input (doc) itself. Inserted texts
// of a, b and c are whole characters, so those sets always parse; a lone surrogate can appear
// in a_c (c deleting half of a pair that a inserted) and in the documents.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ChangeSet, Text } from "@codemirror/state";

function usage(message) {
    console.error(`make_vectors: ${message}`);
    console.error("usage: node make_vectors.mjs --seed <uint32> --count <n> --out <file.jsonl>");
    process.exit(2);
}

function parseArgs(argv) {
    const args = {};
    for (let i = 0; i < argv.length; i += 2) {
        const [flag, value] = [argv[i], argv[i + 1]];
        if (!["--seed", "--count", "--out"].includes(flag)) usage(`unknown argument ${flag}`);
        if (value === undefined) usage(`${flag} needs a value`);
        args[flag.slice(2)] = value;
    }
    for (const name of ["seed", "count", "out"]) if (!(name in args)) usage(`--${name} is required`);
    const seed = Number(args.seed);
    const count = Number(args.count);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) usage("--seed must be a uint32");
    if (!Number.isInteger(count) || count < 1) usage("--count must be a positive integer");
    return { seed, count, out: args.out };
}

// mulberry32: small, fast, and the same sequence on every platform.
function makeRandom(seed) {
    let state = seed >>> 0;
    const next = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    return {
        chance: (p) => next() < p,
        int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
        pick: (list) => list[Math.floor(next() * list.length)],
    };
}

// Pieces text is made of, with weights. Units: "é" 1, "e\u0301" 2 (decomposed), "😀" 2 (a
// surrogate pair), "👩‍💻" 5 (pair, ZWJ, pair), CJK 1. The quote, backslash, tab, U+0001 and
// U+2028 check that both sides escape JSON strings alike.
const ATOMS = [
    ...[..."abcdefghijklmnopqrstuvwxyz"].map((c) => [c, 3]),
    ..."ABCXYZ0123456789".split("").map((c) => [c, 1]),
    [" ", 8], [".", 2], [",", 1], ["\"", 1], ["\\", 1], ["\t", 1], ["\u0001", 0.3],
    ["\u2028", 0.3], ["é", 4], ["e\u0301", 2], ["😀", 5], ["👩‍💻", 3], ["🇫🇷", 1],
    ["中", 2], ["文", 2], ["字", 1], ["\n", 8],
];
const ATOM_TOTAL = ATOMS.reduce((sum, [, w]) => sum + w, 0);

function atom(rnd) {
    let x = rnd.int(0, 1e6) / 1e6 * ATOM_TOTAL;
    for (const [text, weight] of ATOMS) {
        if ((x -= weight) < 0) return text;
    }
    return ATOMS[ATOMS.length - 1][0];
}

function text(rnd, atoms) {
    let result = "";
    for (let i = 0; i < atoms; i++) result += atom(rnd);
    return result;
}

function randomDoc(rnd) {
    const r = rnd.int(0, 99);
    if (r < 18) return "";
    if (r < 45) return text(rnd, rnd.int(1, 3));
    if (r < 85) return text(rnd, rnd.int(4, 20));
    return text(rnd, rnd.int(21, 70));
}

function randomInsert(rnd) {
    const r = rnd.int(0, 99);
    if (r < 8) return "\n";
    if (r < 12) return "\n" + text(rnd, rnd.int(1, 3));
    if (r < 16) return text(rnd, rnd.int(1, 3)) + "\n";
    if (r < 20) return "😀";
    return text(rnd, r < 85 ? rnd.int(1, 3) : rnd.int(4, 12));
}

const isHigh = (u) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u) => u >= 0xdc00 && u <= 0xdfff;

// Positions a change may start or end at. Aligned: not between the halves of a surrogate pair
// (what an editor produces). Otherwise any unit, as CodeMirror itself allows.
function boundaries(doc, aligned) {
    const result = [0];
    for (let i = 1; i <= doc.length; i++) {
        if (!aligned || !(isHigh(doc.charCodeAt(i - 1)) && isLow(doc.charCodeAt(i)))) result.push(i);
    }
    return result;
}

// Sorted, non-overlapping ranges (touching, and several insertions at one position, allowed),
// with the ends of the document favoured.
function randomChanges(rnd, doc) {
    const r = rnd.int(0, 99);
    const count = r < 15 ? 0 : r < 55 ? 1 : r < 80 ? rnd.int(2, 3) : rnd.int(4, 8);
    const candidates = boundaries(doc, rnd.chance(0.7));
    const points = [];
    for (let i = 0; i < 2 * count; i++) {
        const p = rnd.int(0, 99);
        points.push(p < 12 ? 0 : p < 24 ? doc.length : rnd.pick(candidates));
    }
    points.sort((x, y) => x - y);
    const specs = [];
    for (let i = 0; i < count; i++) {
        const from = points[2 * i];
        // Half of the ranges collapse to an insertion point.
        const to = rnd.chance(0.5) ? from : points[2 * i + 1];
        let insert = "";
        if (from === to) {
            if (!rnd.chance(0.05)) insert = randomInsert(rnd); // else: a no-op CodeMirror drops
        } else if (rnd.chance(0.6)) {
            insert = randomInsert(rnd);
        }
        specs.push({ from, to, insert });
    }
    return ChangeSet.of(specs, doc.length);
}

const literal = (s) => JSON.stringify(s);
const json = (set) => JSON.stringify(set.toJSON());
const textOf = (s) => Text.of(s.split("\n"));

function randomPositions(rnd, length) {
    return [0, length, rnd.int(0, length), rnd.int(0, length)];
}

function makeCase(rnd) {
    const doc = randomDoc(rnd);
    const docText = textOf(doc);
    const a = randomChanges(rnd, doc);
    const b = randomChanges(rnd, doc);
    const aDoc = a.apply(docText).toString();
    const c = randomChanges(rnd, aDoc);
    const bMapA = b.map(a);
    const ab = a.compose(bMapA);
    const ba = b.compose(a.map(b, true));
    const ac = a.compose(c);
    const abDoc = ab.apply(docText).toString();
    // The library's own promises; a failure here is a generator bug, not a C++ one.
    if (abDoc !== bMapA.apply(a.apply(docText)).toString() || ba.apply(docText).toString() !== abDoc) {
        throw new Error(`map/compose disagree on ${JSON.stringify(doc)}`);
    }
    const mapPos = [];
    for (const pos of randomPositions(rnd, doc.length)) {
        for (const assoc of [-1, 0, 1]) mapPos.push([pos, assoc, a.mapPos(pos, assoc)]);
    }
    return {
        doc: literal(doc),
        a: json(a),
        b: json(b),
        c: json(c),
        a_doc: literal(aDoc),
        b_doc: literal(b.apply(docText).toString()),
        a_map_b: json(a.map(b)),
        a_map_b_before: json(a.map(b, true)),
        b_map_a: json(bMapA),
        a_b: json(ab),
        a_b_doc: literal(abDoc),
        b_a: json(ba),
        a_c: json(ac),
        a_c_doc: literal(ac.apply(docText).toString()),
        map_pos: mapPos,
    };
}

const { seed, count, out } = parseArgs(process.argv.slice(2));
const require = createRequire(import.meta.url);
const statePackage = join(dirname(require.resolve("@codemirror/state")), "..", "package.json");
const version = JSON.parse(readFileSync(statePackage, "utf8")).version;

const rnd = makeRandom(seed);
const fd = openSync(out, "w");
let pending = [JSON.stringify({ meta: { seed, count, codemirror_state: version } })];
for (let i = 0; i < count; i++) {
    pending.push(JSON.stringify(makeCase(rnd)));
    if (pending.length >= 2000) {
        writeSync(fd, pending.join("\n") + "\n");
        pending = [];
    }
}
if (pending.length) writeSync(fd, pending.join("\n") + "\n");
closeSync(fd);
console.log(`make_vectors: ${count} cases (seed ${seed}, @codemirror/state ${version}) -> ${out}`);
