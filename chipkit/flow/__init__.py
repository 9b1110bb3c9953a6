"""The design flow around the MyHDL blocks: simulate (sim, trace, vcd), compare with a model
(check), convert to Verilog and VHDL and simulate the result again (convert, resim, resim_vhdl,
verilator), read a structural block back as gates (netlist), and find the HDL tools (tools)."""
