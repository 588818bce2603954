# SPDX-License-Identifier: GPL-2.0
# Guest instructions per packet (copies apart, all vCPUs) by batch, 1200-byte
# packets: the plot of BENCHMARKS.md's instruction accounting section.
#   gnuplot -e "data='FILE'; out='PNG'" plot.gp
# The data file (bench/insn/report.py) has four blocks: tx AES, tx ChaCha,
# rx AES, rx ChaCha; columns batch plain user ulp ulp10k ulpcopies.
set terminal pngcairo size 1100,800 font ",10" noenhanced
set output out
set multiplot layout 2,2 title "Guest instructions per packet under QEMU TCG (exact counts; REP copies apart, dashed: the ULP's copies)"
set logscale xy
set xtics ("1" 1, "16" 16, "64 (54 segs)" 64)
set xrange [0.8:80]
set format y "%.0s%c"
set xlabel "packets per sendmsg / recvmsg"
set ylabel "instructions per packet"
set grid
set key top right
do for [i=0:3] {
	set title (i == 0 ? "Tx, AES-128-GCM" : i == 1 ? "Tx, ChaCha20-Poly1305" : \
		   i == 2 ? "Rx, AES-128-GCM" : "Rx, ChaCha20-Poly1305")
	plot data index i using 1:2 with linespoints lw 2 title "(a) plain UDP", \
	     '' index i using 1:3 with linespoints lw 2 title "(b) userspace OpenSSL", \
	     '' index i using 1:4 with linespoints lw 2 title "(c) kernel offload", \
	     '' index i using 1:5 with linespoints lw 2 title "(c) offload, 10,000 connections", \
	     '' index i using 1:6 with linespoints lw 1 dt 2 lc 3 title "(c) offload: REP copies"
}
unset multiplot
