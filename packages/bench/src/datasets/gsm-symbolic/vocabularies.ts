/**
 * The named vocabularies the templates sample from. Apple never published them; these are
 * inferred from the templates (each placeholder's default shows a sample, each condition shows
 * which values must work). The README in this folder gives the reasoning for each choice.
 *
 * Numeric words are `(label, value)` tuples: the question shows the label ("twice", "a third",
 * "1/4"), the conditions and the answer compute with the value (2, 1/3, 0.25). Fraction values are
 * exact (see python-values.ts), so `is_int(9 * frac)` is exact for a third.
 */
import { PyTuple, makeFloat, type PyValue } from './python-values.js';

function labeled(label: string, numerator: number, denominator = 1): PyTuple {
  return new PyTuple([label, denominator === 1 ? numerator : makeFloat(numerator, denominator)]);
}

const maleNames = [
  'James', 'John', 'Robert', 'Michael', 'William', 'David', 'Richard', 'Joseph', 'Thomas', 'Charles',
  'Daniel', 'Matthew', 'Anthony', 'Mark', 'Steven', 'Paul', 'Andrew', 'Joshua', 'Kevin', 'Brian',
  'George', 'Edward', 'Ryan', 'Jacob', 'Gary', 'Eric', 'Jonathan', 'Justin', 'Brandon', 'Samuel',
  'Benjamin', 'Jack', 'Henry', 'Peter', 'Carlos', 'Diego', 'Luis', 'Mateo', 'Omar', 'Ahmed',
  'Hassan', 'Raj', 'Arjun', 'Kenji', 'Hiroshi', 'Wei', 'Chen', 'Dmitri', 'Ivan', 'Mohammed',
  'Kwame', 'Tariq', 'Luca', 'Marco', 'Pierre', 'Felix', 'Oscar', 'Liam', 'Noah', 'Ethan',
];

const femaleNames = [
  'Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen',
  'Nancy', 'Lisa', 'Betty', 'Sandra', 'Ashley', 'Emily', 'Michelle', 'Amanda', 'Melissa', 'Rachel',
  'Olivia', 'Emma', 'Sophia', 'Isabella', 'Mia', 'Charlotte', 'Amelia', 'Harper', 'Evelyn', 'Abigail',
  'Julia', 'Katy', 'Sophie', 'Martha', 'Angela', 'Carol', 'Sally', 'Maria', 'Lucia', 'Camila',
  'Valentina', 'Aisha', 'Fatima', 'Priya', 'Ananya', 'Mei', 'Yuki', 'Sakura', 'Hana', 'Ling',
  'Elena', 'Natasha', 'Ingrid', 'Chloe', 'Zoe', 'Nia', 'Amara', 'Leila', 'Rosa', 'Grace',
];

const fractionWords: PyTuple[] = [
  labeled('half', 1, 2),
  labeled('a third', 1, 3),
  labeled('a quarter', 1, 4),
  labeled('a fifth', 1, 5),
  labeled('a sixth', 1, 6),
  labeled('a tenth', 1, 10),
  labeled('two-thirds', 2, 3),
  labeled('three-quarters', 3, 4),
  labeled('two-fifths', 2, 5),
  labeled('three-fifths', 3, 5),
];

const fractionNumerals: PyTuple[] = [
  labeled('1/2', 1, 2),
  labeled('1/3', 1, 3),
  labeled('1/4', 1, 4),
  labeled('1/5', 1, 5),
  labeled('1/6', 1, 6),
  labeled('1/8', 1, 8),
  labeled('1/10', 1, 10),
  labeled('2/3', 2, 3),
  labeled('3/4', 3, 4),
  labeled('2/5', 2, 5),
  labeled('3/5', 3, 5),
  labeled('4/5', 4, 5),
];

/** Every vocabulary by the name the templates use. */
export const vocabularies: ReadonlyMap<string, PyValue[]> = new Map<string, PyValue[]>([
  ['names_male', maleNames],
  ['names_female', femaleNames],
  ['names', [...maleNames, ...femaleNames]],
  ['currencies_sym', ['$', '€', '£', '¥', '₹']],
  // "half"/"a third" in running text: "cover half of the cost", "a third of the remoras".
  ['fractions', [labeled('half', 1, 2), labeled('a third', 1, 3), labeled('a quarter', 1, 4), labeled('two-thirds', 2, 3), labeled('three-quarters', 3, 4)]],
  ['fraction_alph', fractionWords],
  ['fraction_nums', fractionNumerals],
  // "alnum": the defaults mix words ("half", "two-thirds") and numerals ("1/3", "1/16").
  ['fraction_alnum', [...fractionWords, ...fractionNumerals]],
  // Shown as prices per minute: "$0.25", so plain decimals rather than words.
  ['fraction_decimals', [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9].map((value) => makeFloat(Math.round(value * 100), 100))],
  ['multi_times', [labeled('twice', 2), labeled('three times', 3), labeled('four times', 4), labeled('five times', 5)]],
  // "-ice" words: twice, thrice.
  ['multiple_ice', [labeled('twice', 2), labeled('thrice', 3)]],
  ['multiple', [labeled('double', 2), labeled('triple', 3), labeled('quadruple', 4)]],
  ['weekdays', ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']],
  // Singular nouns that take a plain "s" plural: templates write "{fruit,pineapple}s".
  ['fruits', ['apple', 'banana', 'pineapple', 'kiwi', 'orange', 'pear', 'plum', 'apricot', 'lemon', 'lime', 'melon', 'coconut', 'avocado', 'watermelon', 'papaya']],
  ['colors', ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'white', 'black', 'brown', 'gray', 'teal', 'violet', 'magenta']],
  ['cities', ['Los Angeles', 'New York', 'Chicago', 'Houston', 'Phoenix', 'San Diego', 'Seattle', 'Boston', 'Denver', 'Miami', 'Atlanta', 'Toronto', 'London', 'Paris', 'Sydney', 'Tokyo']],
  // Played games: "like to play {h_2,basketball}".
  ['sports', ['basketball', 'soccer', 'tennis', 'volleyball', 'baseball', 'football', 'hockey', 'badminton', 'golf', 'cricket', 'rugby', 'table tennis']],
  // Singular units that take "s": "{n,32} {unit,ounce}s of water", "a {w4,1}-{unit,pound} box".
  ['weights_sm', ['ounce', 'gram']],
  ['weights_med', ['pound', 'kilogram']],
  ['length_lg', ['mile', 'kilometer']],
]);
