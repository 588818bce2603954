# SPDX-License-Identifier: GPL-2.0
# CPU µs per packet (all CPUs) by batch, 1200-byte packets: the plot of
# BENCHMARKS.md. gnuplot -e "data='FILE'; out='PNG'; title='...'" plot.gp
# The data file has four blocks: tx AES, tx ChaCha, rx AES, rx ChaCha.
set terminal pngcairo size 1100,800 font ",10" noenhanced
set output out
set multiplot layout 2,2 title title
set logscale xy
set xtics ("1" 1, "16" 16, "64 (54 segs)" 64)
set xrange [0.8:80]
set xlabel "packets per sendmsg / recvmsg"
set ylabel "CPU µs per packet, all CPUs"
set grid
set key top right
do for [i=0:3] {
	set title (i == 0 ? "Tx, AES-128-GCM" : i == 1 ? "Tx, ChaCha20-Poly1305" : \
		   i == 2 ? "Rx, AES-128-GCM" : "Rx, ChaCha20-Poly1305")
	if (i < 2) {
		plot data index i using 1:2 with linespoints lw 2 title "(a) plain UDP", \
		     '' index i using 1:3 with linespoints lw 2 title "(b) userspace OpenSSL", \
		     '' index i using 1:4 with linespoints lw 2 dt 2 title "(b) userspace + MSG_ZEROCOPY", \
		     '' index i using 1:5 with linespoints lw 2 title "(c) kernel offload"
	} else {
		plot data index i using 1:2 with linespoints lw 2 title "(a) plain UDP", \
		     '' index i using 1:3 with linespoints lw 2 title "(b) userspace OpenSSL", \
		     '' index i using 1:5 with linespoints lw 2 lc 4 title "(c) kernel offload"
	}
}
unset multiplot
