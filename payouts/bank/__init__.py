"""The bank connection: the pain.001 files out, the bank's ISO 20022 answers in.

`connection` writes a released batch's file to the bank's outbound folder,
`messages` reads the bank's answers into plain data, `reason_codes` says what an
ISO 20022 reason means and whose side it is on, and `inbound` is the job that
reads each new file in the inbound folder once.
"""
