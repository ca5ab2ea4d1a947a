// The JavaScript math libraries' own doctest notation: code, then a `// returns` comment saying what it
// gives. No prompts: mtest reads the annotations as they are and compares values, not text.
'use strict';

/**
 * Hypotenuse of a right triangle, without overflow for large sides.
 *
 * @param {number} x - first side
 * @param {number} y - second side
 * @returns {number} hypotenuse
 *
 * @example
 * var h = hypot( 3.0, 4.0 );
 * // returns 5.0
 *
 * @example
 * var h = hypot( 1.0e300, 1.0e300 );
 * // returns ~1.414e+300
 *
 * @example
 * var h = hypot( 1.0, 1.0 );
 * // returns ~1.4142
 *
 * @example
 * var h = hypot( NaN, 1.0 );
 * // returns NaN
 *
 * @example
 * hypot( '3', 4 );
 * // throws <TypeError>
 */
function hypot( x, y ) {
	if ( typeof x !== 'number' || typeof y !== 'number' ) {
		throw new TypeError( 'invalid argument. Must be numbers.' );
	}
	var a = Math.abs( x );
	var b = Math.abs( y );
	var m = Math.max( a, b );
	if ( m === 0.0 || m === Infinity ) {
		return m;
	}
	a /= m;
	b /= m;
	return m * Math.sqrt( ( a*a ) + ( b*b ) );
}

/**
 * Swaps the elements of two arrays in place.
 *
 * @example
 * var x = new Float64Array( [ 1.0, 2.0, 3.0 ] );
 * var y = new Float64Array( [ 4.0, 5.0, 6.0 ] );
 *
 * swap( x, y );
 * // x => <Float64Array>[ 4.0, 5.0, 6.0 ]
 * // y => <Float64Array>[ 1.0, ..., 3.0 ]
 */
function swap( x, y ) {
	var t;
	var i;
	for ( i = 0; i < x.length; i++ ) {
		t = x[ i ];
		x[ i ] = y[ i ];
		y[ i ] = t;
	}
}

module.exports = { hypot: hypot, swap: swap };
