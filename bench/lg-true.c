/* The program the exec storm runs: as little as a process can do. */
int main(void)
{
	return 0;
}
