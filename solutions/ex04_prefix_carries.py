"""Exercise 4 -- the Kogge-Stone carries, in plain Python (notebook 01, fast adders).

A ripple adder's carry i waits for carry i-1: n steps. A parallel-prefix adder finds every carry in
ceil(log2(n+1)) levels. Bit i of a + b generates a carry (g[i] = a_i AND b_i) or propagates one
(p[i] = a_i XOR b_i). Put the carry in at position 0 as a group that generates cin and propagates
nothing; then at level k = 0, 1, 2, ... (distance d = 2**k, while d < n+1) every position i >= d
combines its group (G, P) with the group d positions below it, all positions at once:

    G[i] <- G[i] | (P[i] & G[i-d])        P[i] <- P[i] & P[i-d]

Write `prefix_carries(g, p, cin)` returning `(carries, levels)`: carries[i] is the carry into bit i
(carries[0] == cin), carries[n] the carry out, and levels the number of levels you used.
Combine bits only with & | ^ (no `if`, `and`, `or` on bit values): one test feeds in bits that
count the gate levels each carry passes through, and a serial chain is too deep.
Check your work: `chipkit grade --only ex04`.
"""


def prefix_carries(g: list[int], p: list[int], cin: int) -> tuple[list[int], int]:
    """Carries into bits 0..n (n = len(g); the last is the carry out) and the prefix levels used."""
    # BEGIN SOLUTION hint: G = [cin] + g, P = [0] + p; for d = 1, 2, 4, ... while d < n + 1: combine
    n = len(g)
    G, P = [cin] + list(g), [0] + list(p)
    d, levels = 1, 0
    while d < n + 1:
        # both lists are rebuilt from the previous level's values: every position works in parallel
        G = [G[i] | (P[i] & G[i - d]) if i >= d else G[i] for i in range(n + 1)]
        P = [P[i] & P[i - d] if i >= d else P[i] for i in range(n + 1)]
        d, levels = 2 * d, levels + 1
    return G, levels
    # END SOLUTION
