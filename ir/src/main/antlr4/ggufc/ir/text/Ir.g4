/**
 * The textual form of the ggufc IR, as written by {@code ggufc.ir.text.IrPrinter} and read back
 * by {@code ggufc.ir.text.IrParser}.
 *
 * <pre>
 * // comments run to the end of the line, anywhere
 * graph @llama_decode {
 *   %0 = input "tokens" : tensor<Txi32>
 *   %1 = param "token_embd.weight" : tensor<512x64xq8_0>
 *   %2 = embed %1, %0 : tensor<Tx64xf32>
 *   %3 = param "blk.0.attn_norm.weight" : tensor<64xf32>
 *   %4 = rms_norm %2, %3 {eps = 1.0e-5} : tensor<Tx64xf32>
 *   return "hidden" = %4
 * }
 * </pre>
 *
 * <ul>
 *   <li>A file holds zero or more graphs ({@code parseAll}); {@code parse} wants exactly one.
 *       Graphs may be grouped in a module, {@code module @name { graph ... graph ... }}: graphs run
 *       together, sharing state by name ({@code parseModule} wants exactly one module).
 *   <li>A statement is {@code %v = op ["name"] [%a, %b, ...] [{attrs}] : type}. Value names are
 *       {@code %} followed by letters, digits, {@code _ . $}; any spelling, not necessarily dense
 *       (the printer renumbers {@code %0, %1, ...} in node order). A value is defined once and
 *       used only after its definition.
 *   <li>The op is {@code OpKind.irName()}. The quoted string after it is sugar for the
 *       {@code name} attribute (the printer uses it for input, param and state leaves).
 *   <li>Attributes: {@code {k = v, ...}}, printed sorted by name. Names are identifiers (keywords
 *       included) or quoted strings. Values: integers (64-bit, {@code Long}), reals (anything with
 *       a dot or an exponent, {@code Double}; {@code inf}, {@code -inf}, {@code nan}), strings
 *       with escapes {@code \" \\ \n \r \t \\uXXXX}, {@code true}/{@code false}, and lists of
 *       numbers {@code [1, 2]} / {@code [1.0, 2.5]}.
 *   <li>Types: {@code tensor<DIMxDIMx...xDTYPE>}, scalar {@code tensor<f32>}. A dimension is an
 *       integer or a symbol; a symbol containing the letter {@code x} is written in parentheses,
 *       {@code tensor<(ctx)x8xf16>}, so that {@code x} always separates. The whole type is one
 *       token (no blanks inside) decoded by the parser with exact error columns:
 *       <pre>
 *       type   : 'tensor<' (dim 'x')* dtype '>'
 *       dim    : [0-9]+ | word | '(' [A-Za-z_][A-Za-z0-9_]* ')'
 *       word   : [A-Za-wyz_][A-Za-wyz0-9_]*     (a symbol without x)
 *       dtype  : DType.irName(): f32 f16 bf16 i32 i8 q4_0 ... q8_k
 *       </pre>
 *   <li>{@code return "name" = %v, ...} lists the graph's outputs in order; an output named like a
 *       state leaf writes that state back.
 *   <li>Graph names are {@code @} followed by {@code [A-Za-z0-9_.$-]+}, or {@code @"any string"}.
 * </ul>
 *
 * Everything the grammar cannot say (known op, operand count, types, defined values, unique
 * names) is checked while building the graph through {@code GraphBuilder}.
 */
grammar Ir;

file        : (module | graph)* EOF ;

/** Graphs run together, sharing state by name (a target step and its draft step). */
module      : MODULE AT_NAME LBRACE graph* RBRACE ;

graph       : GRAPH AT_NAME LBRACE statement* ret RBRACE ;

statement   : VALUE EQ op=ident leafName=STRING? operands? attrDict? COLON TENSOR_TYPE ;

operands    : VALUE (COMMA VALUE)* ;

attrDict    : LBRACE (attr (COMMA attr)*)? RBRACE ;

attr        : key=attrName EQ attrValue ;

attrName    : ident | STRING ;

attrValue   : number                                  # numberValue
            | STRING                                  # stringValue
            | (TRUE | FALSE)                          # boolValue
            | LBRACKET (attrValue (COMMA attrValue)*)? RBRACKET  # listValue
            ;

number      : INT | FLOAT | INF | MINUS_INF | NAN ;

ret         : RETURN (output (COMMA output)*)? ;

output      : STRING EQ VALUE ;

/** Attribute and op names; keywords are allowed there. */
ident       : IDENT | MODULE | GRAPH | RETURN | TRUE | FALSE | INF | NAN ;

// ---------------------------------------------------------------- lexer

MODULE      : 'module' ;
GRAPH       : 'graph' ;
RETURN      : 'return' ;
TRUE        : 'true' ;
FALSE       : 'false' ;
INF         : 'inf' ;
MINUS_INF   : '-inf' ;
NAN         : 'nan' ;

/** The whole tensor type; its inside is decoded (and its errors located) by the parser. */
TENSOR_TYPE : 'tensor<' ~[>\r\n]* '>' ;

VALUE       : '%' [A-Za-z0-9_.$]+ ;
AT_NAME     : '@' ( [A-Za-z0-9_.$\-]+ | STRING ) ;

FLOAT       : '-'? ( DIGITS '.' DIGITS? EXPONENT? | DIGITS EXPONENT | '.' DIGITS EXPONENT? ) ;
INT         : '-'? DIGITS ;
STRING      : '"' ( ~["\\\r\n] | '\\' ~[\r\n] )* '"' ;
IDENT       : [A-Za-z_] [A-Za-z0-9_]* ;

EQ          : '=' ;
COLON       : ':' ;
COMMA       : ',' ;
LBRACE      : '{' ;
RBRACE      : '}' ;
LBRACKET    : '[' ;
RBRACKET    : ']' ;

LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS          : [ \t\r\n\f\uFEFF]+ -> skip ;   // a byte order mark counts as a blank

fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;
